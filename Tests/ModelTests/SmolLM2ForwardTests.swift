import Foundation
import NightdeskModel
import NightdeskTestSupport
import Testing

@Suite("SmolLM2-135M Q4_1 GGUF against transformers")
struct SmolLM2ForwardTests {
  @Test("6 chat prompts: 32 greedy tokens identical, top-10 logits within 2e-3")
  func greedy() throws {
    let model = try ModelPackage.open(TestPaths.smolLM2.path).loadModel()
    #expect(model.config.architecture == .llama && model.config.ropeLayout == .adjacent)
    for reference in try ReferenceCase.load("smollm2/reference.json") {
      try checkGreedy(model, reference, tolerance: 2e-3)
    }
  }
}
