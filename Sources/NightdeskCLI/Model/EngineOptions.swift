import Foundation
import ArgumentParser
import NightdeskEngine
import NightdeskModel
import NightdeskSupport

extension KVPrecision: ExpressibleByArgument {}

/// The engine's knobs, shared by `generate --prompts-file`, `bench` and `worker`.
struct EngineOptions: ParsableArguments {
  @Option(name: .customLong("kv-memory"), help: ArgumentHelp("KV cache memory, e.g. 512MiB or 2GiB (default: $NIGHTDESK_KV_MEMORY, else room for 64Ki tokens, at most a quarter of available memory).", valueName: "size"))
  var kvMemoryFlag: String?

  /// `--kv-memory`, else `NIGHTDESK_KV_MEMORY`.
  var kvMemory: String? {
    FlagOrEnvironment.text(kvMemoryFlag, "NIGHTDESK_KV_MEMORY")
  }

  @Option(help: ArgumentHelp("Tokens per engine step over all sequences (decode tokens plus prefill chunks).", valueName: "n"))
  var maxBatchTokens: Int = 2048

  @Option(help: ArgumentHelp("Sequences holding KV cache at once.", valueName: "n"))
  var maxSequences: Int = 64

  @Option(help: ArgumentHelp("Tokens per KV cache block.", valueName: "n"))
  var blockSize: Int = 16

  @Option(help: ArgumentHelp(
    "Precision of cached keys and values: f32, f16 or bf16 (default: f32, or f16 with --activations int8).",
    valueName: "precision"))
  var kvPrecision: KVPrecision?

  /// `--kv-precision`, else what `activations` caches by default.
  func kvPrecision(for activations: ActivationPrecision) -> KVPrecision {
    kvPrecision ?? activations.defaultKVPrecision
  }

  @Option(help: ArgumentHelp(
    "Tokens of context a request may use (prompt plus answer), below the model's own (default: the model's). A "
      + "longer request fails alone, with the numbers; a document's synthesis is then reduced in stages to fit.",
    valueName: "n"))
  var maxContext: Int?

  @Flag(name: .customLong("no-prefix-cache"), help: "Never reuse cached prompt prefixes (for A/B comparisons).")
  var noPrefixCache = false

  func validate() throws {
    if let kvMemory {
      do { _ = try ByteCount.parse(kvMemory) } catch { throw ValidationError("--kv-memory: \(error)") }
    }
    if let maxContext, maxContext < 16 { throw ValidationError("--max-context must be at least 16 tokens, not \(maxContext)") }
  }

  /// The engine configuration for a model loaded with `activations`, with `eos` as the model's
  /// end-of-sequence tokens; `--max-context` is refused above `modelContext`, the model's own
  /// context, when given.
  func configuration(eosTokenIDs eos: [Int32], modelContext: Int? = nil,
                     activations: ActivationPrecision) throws -> EngineConfiguration {
    if let maxContext, let modelContext, maxContext > modelContext {
      throw ValidationError("--max-context \(maxContext) is above the model's context of \(modelContext) tokens")
    }
    var memory: Int?
    if let kvMemory {
      do { memory = try ByteCount.parse(kvMemory) } catch {
        throw ValidationError("--kv-memory: \(error)")
      }
    }
    let configuration = EngineConfiguration(
      blockSize: blockSize, kvMemoryBytes: memory, kvPrecision: kvPrecision(for: activations),
      scheduler: SchedulerConfiguration(maxBatchTokens: maxBatchTokens, maxSequences: maxSequences),
      eosTokenIDs: eos, maxContext: maxContext, prefixCaching: !noPrefixCache)
    do { try configuration.validate() } catch { throw ValidationError(error.message) }
    return configuration
  }
}
