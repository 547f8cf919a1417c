import Foundation
import NightdeskModel
import NightdeskTestSupport
import Testing

/// The 8-bit-activation mode against the float32 reference on real weights: it must
/// really run (logits differ) and stay close (bounds set at about twice what was
/// measured; a wrong scale, sign or lane order gives errors of the logits' own size
/// and near-zero agreement). Measured 2026-11-29, teacher-forced over the fixture
/// prompts (see the closing note of issue 4 and `nightdesk compare-precision`).
@Suite("8-bit activations agree with the float32 reference")
struct ActivationPrecisionTests {
  struct Bounds {
    var minTopOne: Double, maxMeanError: Double, maxMaxError: Float
  }

  func compare(path: String, fixture: String, cases: Int, steps: Int) throws -> PrecisionComparison {
    let reference = try ModelPackage.open(path).loadModel()
    let candidate = try ModelPackage.open(path).loadModel(activations: .int8)
    #expect(reference.activations == .float32 && candidate.activations == .int8)
    let prompts = try ReferenceCase.load(fixture).prefix(cases).map(\.promptIDs)
    return try PrecisionComparison.measure(reference: reference, candidate: candidate, prompts: Array(prompts), steps: steps)
  }

  func check(_ report: PrecisionComparison, _ bounds: Bounds, _ name: String) {
    print(String(format: "%@: top-1 %.3f (%d/%d), leading %@, |Δlogit| max %.4f mean %.5f, mean |logit| %.3f",
                 name, report.topOneAgreement, report.topOneAgreements, report.steps,
                 report.leadingAgreements.description, report.maxLogitError, report.meanLogitError, report.meanAbsoluteLogit))
    #expect(report.meanLogitError > 0, "\(name): int8 logits equal the reference: the 8-bit path did not run")
    #expect(report.topOneAgreement >= bounds.minTopOne, "\(name): top-1 agreement \(report.topOneAgreement)")
    #expect(report.meanLogitError <= bounds.maxMeanError, "\(name): mean |Δlogit| \(report.meanLogitError)")
    #expect(report.maxLogitError <= bounds.maxMaxError, "\(name): max |Δlogit| \(report.maxLogitError)")
  }

  @Test("qwen3-tiny Q8_0 GGUF: greedy agreement and logit error")
  func qwen3Tiny() throws {
    let path = TestPaths.fixture("qwen3-tiny").appendingPathComponent("qwen3-tiny-Q8_0.gguf").path
    let report = try compare(path: path, fixture: "qwen3-tiny/reference_gguf_q8_0.json", cases: 6, steps: 16)
    check(report, Bounds(minTopOne: 0.9, maxMeanError: 0.5, maxMaxError: 5), "qwen3-tiny Q8_0")
  }

  @Test("SmolLM2 Q4_1 (Q8_0 head): greedy agreement and logit error")
  func smolLM2() throws {
    let report = try compare(path: TestPaths.smolLM2.path, fixture: "smollm2/reference.json", cases: 3, steps: 16)
    check(report, Bounds(minTopOne: 0.9, maxMeanError: 0.4, maxMaxError: 3), "SmolLM2 Q4_1")
  }
}
