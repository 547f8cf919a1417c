import Foundation
import NightdeskModel
import NightdeskTestSupport
import Testing

@Suite("qwen3-tiny forward pass against transformers")
struct Qwen3TinyForwardTests {
  static let folder = TestPaths.fixture("qwen3-tiny")

  @Test("bf16 safetensors folder: greedy tokens and top-10 logits of every case")
  func bf16Greedy() throws {
    let model = try ModelPackage.open(Self.folder.path).loadModel()
    for reference in try ReferenceCase.load("qwen3-tiny/reference.json") {
      try checkGreedy(model, reference, tolerance: 1e-3)
    }
  }

  @Test("Q8_0 GGUF: greedy tokens and top-10 logits of every case")
  func q8Greedy() throws {
    let model = try ModelPackage.open(Self.folder.appendingPathComponent("qwen3-tiny-Q8_0.gguf").path).loadModel()
    for reference in try ReferenceCase.load("qwen3-tiny/reference_gguf_q8_0.json") {
      try checkGreedy(model, reference, tolerance: 1e-3)
    }
  }

  @Test("full logits at the last prompt position within 1e-3", arguments: ["single_token", "doc_question_a"])
  func fullLogits(caseName: String) throws {
    let model = try ModelPackage.open(Self.folder.path).loadModel()
    let reference = try #require(try ReferenceCase.load("qwen3-tiny/reference.json").first { $0.name == caseName })
    let data = try Data(contentsOf: Self.folder.appendingPathComponent("logits_\(caseName).bin"))
    let expected = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let sequence = try SingleSequence(model: model, capacity: reference.promptIDs.count)
    let logits = try sequence.feed(reference.promptIDs)
    #expect(logits.count == expected.count)
    let maxError = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
    #expect(maxError <= 1e-3, "max |Δ| \(maxError)")
    #expect(argmax(logits) == argmax(expected))
  }
}

@Suite("Reduced-precision KV cache")
struct ReducedPrecisionKVTests {
  /// f16/bf16 keys and values round each element once; on qwen3-tiny (logits 60–85) the
  /// greedy tokens stay those of the reference and the top logits move by less than these bounds.
  @Test("f16 and bf16 KV: greedy tokens of the reference, top-10 logits close", arguments: [(KVPrecision.f16, Float(0.02)), (.bf16, 0.3)])
  func reducedKV(precision: KVPrecision, tolerance: Float) throws {
    let model = try ModelPackage.open(TestPaths.fixture("qwen3-tiny").path).loadModel()
    for reference in try ReferenceCase.load("qwen3-tiny/reference.json") where ["short_en", "doc_question_a", "zh_annual_report"].contains(reference.name) {
      try checkGreedy(model, reference, tolerance: tolerance, chunkSize: 7, precision: precision)
    }
  }
}
