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

  @Option(help: ArgumentHelp("Precision of cached keys and values: f32, f16 or bf16.", valueName: "precision"))
  var kvPrecision: KVPrecision = .f32

  @Flag(name: .customLong("no-prefix-cache"), help: "Never reuse cached prompt prefixes (for A/B comparisons).")
  var noPrefixCache = false

  func validate() throws {
    if let kvMemory {
      do { _ = try ByteCount.parse(kvMemory) } catch { throw ValidationError("--kv-memory: \(error)") }
    }
  }

  /// The engine configuration, with `eos` as the model's end-of-sequence tokens.
  func configuration(eosTokenIDs eos: [Int32]) throws -> EngineConfiguration {
    var memory: Int?
    if let kvMemory {
      do { memory = try ByteCount.parse(kvMemory) } catch {
        throw ValidationError("--kv-memory: \(error)")
      }
    }
    let configuration = EngineConfiguration(
      blockSize: blockSize, kvMemoryBytes: memory, kvPrecision: kvPrecision,
      scheduler: SchedulerConfiguration(maxBatchTokens: maxBatchTokens, maxSequences: maxSequences),
      eosTokenIDs: eos, prefixCaching: !noPrefixCache)
    do { try configuration.validate() } catch { throw ValidationError(error.message) }
    return configuration
  }
}
