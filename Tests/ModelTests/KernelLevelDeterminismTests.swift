import Foundation
import NightdeskModel
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The promise a mixed fleet rests on: a job retried on a worker of another CPU gives the
/// same text. Every kernel level this CPU has (generic, AVX2, AVX-512) computes the
/// fixture prompts to the same logits, bit for bit, token for token, in one process.
@Suite("Every kernel level gives the same logits")
struct KernelLevelDeterminismTests {
  /// Logits of the prompt's last position, then of `steps` greedy decode steps.
  static func greedyLogits(_ model: TransformerModel, prompt: [Int32], steps: Int, chunkSize: Int = 512,
                           kv: KVPrecision = .f32) throws -> (tokens: [Int32], logits: [[UInt32]]) {
    let sequence = try SingleSequence(model: model, capacity: prompt.count + steps + 1, precision: kv)
    var logits = try sequence.feed(prompt, chunkSize: chunkSize)
    var tokens: [Int32] = [], rows: [[UInt32]] = [logits.map(\.bitPattern)]
    for _ in 0..<steps {
      let next = Int32(argmax(logits))
      tokens.append(next)
      logits = try sequence.feed([next])
      rows.append(logits.map(\.bitPattern))
    }
    return (tokens, rows)
  }

  /// Where the levels disagree (empty when every level gives every logit the same bits).
  /// It returns what it found instead of expecting: it runs on a thread of its own, outside
  /// the test's task.
  static func compareLevels(path: String, prompts: [(name: String, ids: [Int32])], steps: Int,
                            activations: ActivationPrecision = .float32, chunkSize: Int = 512,
                            kv: KVPrecision = .f32) throws -> [String] {
    let levels = KernelLevel.supported
    var problems: [String] = []
    var first: [(tokens: [Int32], logits: [[UInt32]])] = []
    for level in levels {
      let model = try ModelPackage.open(path).loadModel(threads: 2, activations: activations, kernels: level)
      if model.kernelLevel != level { problems.append("asked for \(level), the model runs \(model.kernelLevel)") }
      let runs = try prompts.map { try greedyLogits(model, prompt: $0.ids, steps: steps, chunkSize: chunkSize, kv: kv) }
      guard !first.isEmpty else { first = runs; continue }
      for (index, (run, expected)) in zip(runs, first).enumerated() {
        if run.tokens != expected.tokens {
          problems.append("\(prompts[index].name): \(level) tokens \(run.tokens) vs \(levels[0]) \(expected.tokens)")
        }
        for (step, (row, want)) in zip(run.logits, expected.logits).enumerated() {
          let differing = zip(row, want).filter { $0 != $1 }.count
          if differing > 0 {
            problems.append("\(prompts[index].name) step \(step): \(differing) logits differ between \(level) and \(levels[0])")
          }
        }
      }
    }
    return problems
  }

  @Test("qwen3-tiny (bf16 folder, Q8_0 GGUF): every fixture prompt at every level, bit for bit")
  func qwen3Tiny() async throws {
    let problems = try await onOwnThread { () throws -> [String] in
      let folder = TestPaths.fixture("qwen3-tiny")
      let cases = try ReferenceCase.load("qwen3-tiny/reference.json").map { ($0.name, $0.promptIDs) }
      // The GGUF with chunked prefill: its longest prompts, whose keys span many blocks.
      let longest = cases.sorted { $0.1.count > $1.1.count }.prefix(3)
      return try Self.compareLevels(path: folder.path, prompts: cases, steps: 4)
        + Self.compareLevels(path: folder.appendingPathComponent("qwen3-tiny-Q8_0.gguf").path, prompts: Array(longest),
                             steps: 3, chunkSize: 7)
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }

  @Test("qwen3-tiny Q8_0 with 8-bit activations (and their default f16 KV cache): every level, bit for bit")
  func qwen3TinyInt8() async throws {
    let problems = try await onOwnThread { () throws -> [String] in
      let path = TestPaths.fixture("qwen3-tiny").appendingPathComponent("qwen3-tiny-Q8_0.gguf").path
      let cases = try ReferenceCase.load("qwen3-tiny/reference.json").prefix(3).map { ($0.name, $0.promptIDs) }
      return try Self.compareLevels(path: path, prompts: Array(cases), steps: 3, activations: .int8, kv: .f32)
        + Self.compareLevels(path: path, prompts: Array(cases), steps: 3, activations: .int8,
                             kv: ActivationPrecision.int8.defaultKVPrecision)
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }

  @Test("SmolLM2 Q4_1 (head_dim 64, 9/3 heads): the fixture prompts at every level, bit for bit")
  func smolLM2() async throws {
    let path = try TestPaths.requireSmolLM2().path
    let problems = try await onOwnThread { () throws -> [String] in
      // One short prompt: the generic level computes 135M parameters per token in plain C.
      let cases = try ReferenceCase.load("smollm2/reference.json").prefix(1).map { ($0.name, Array($0.promptIDs.prefix(20))) }
      return try Self.compareLevels(path: path, prompts: cases, steps: 3)
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }
}
