import Foundation
import NightdeskModel
import NightdeskTestSupport
import Testing

@Suite("qwen3-tiny forward pass against transformers")
struct Qwen3TinyForwardTests {
  static let folder = TestPaths.fixture("qwen3-tiny")

  @Test("bf16 safetensors folder: greedy tokens and top-10 logits of every case")
  func bf16Greedy() throws {
    let model = try ModelLoader.loadModel(path: Self.folder.path)
    for reference in try ReferenceCase.load("qwen3-tiny/reference.json") {
      try checkGreedy(model, reference, tolerance: 1e-3)
    }
  }

  @Test("Q8_0 GGUF: greedy tokens and top-10 logits of every case")
  func q8Greedy() throws {
    let model = try ModelLoader.loadModel(path: Self.folder.appendingPathComponent("qwen3-tiny-Q8_0.gguf").path)
    for reference in try ReferenceCase.load("qwen3-tiny/reference_gguf_q8_0.json") {
      try checkGreedy(model, reference, tolerance: 1e-3)
    }
  }

  @Test("full logits at the last prompt position within 1e-3", arguments: ["single_token", "doc_question_a"])
  func fullLogits(caseName: String) throws {
    let model = try ModelLoader.loadModel(path: Self.folder.path)
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
