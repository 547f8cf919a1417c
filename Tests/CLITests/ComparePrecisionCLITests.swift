import Foundation
import NightdeskTestSupport
import Testing

/// `nightdesk compare-precision` and `--activations int8` through the built binary.
@Suite struct ComparePrecisionCLITests {
  static let gguf = TestPaths.fixture("qwen3-tiny").appendingPathComponent("qwen3-tiny-Q8_0.gguf").path

  @Test func comparePrecisionPrintsAgreementAsJSON() async throws {
    let result = try await NightdeskBinary.run(["compare-precision", "--model", Self.gguf, "--steps", "4", "--threads", "1", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["steps"] as? Int == 16)  // 4 built-in prompts × 4 steps
    let agreement = try #require(object["top1_agreement"] as? Double)
    #expect(agreement > 0.5 && agreement <= 1)
    let meanError = try #require(object["mean_logit_error"] as? Double)
    #expect(meanError > 0 && meanError < 1)
  }

  @Test func generateTakesInt8Activations() async throws {
    let result = try await NightdeskBinary.run(["generate", "--model", Self.gguf, "--prompt-ids", "1,2,3", "--max-tokens", "3",
                                          "--activations", "int8", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["prompt_ids"] as? [Int] == [1, 2, 3])
    #expect((object["tokens"] as? [Int])?.count == 3, "\(result.stdout)")
    let bad = try await NightdeskBinary.run(["generate", "--model", Self.gguf, "--prompt-ids", "1", "--activations", "int4"])
    #expect(bad.status != 0 && bad.stderr.contains("--activations"), "\(bad.stderr)")
  }
}
