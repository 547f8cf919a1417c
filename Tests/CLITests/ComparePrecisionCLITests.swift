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
    #expect(object["kv_precision"] as? String == "f16", "the int8 run is measured as int8 runs cache")
  }

  /// Keys and values are cached in f32 beside the reference and in f16 beside int8 (as llama.cpp caches),
  /// unless --kv-precision says otherwise.
  @Test(arguments: [(["--activations", "f32"], "f32"), (["--activations", "int8"], "f16"),
                    (["--activations", "int8", "--kv-precision", "f32"], "f32"), (["--kv-precision", "bf16"], "bf16")])
  func benchReportsTheKVPrecisionItRan(flags: [String], expected: String) async throws {
    let result = try await NightdeskBinary.run(
      ["bench", "--model", Self.gguf, "--prompt-tokens", "4", "--gen-tokens", "2", "--repetitions", "1", "--threads", "1",
       "--json"] + flags)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["kv_precision"] as? String == expected, "\(flags): \(result.stdout)")
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
