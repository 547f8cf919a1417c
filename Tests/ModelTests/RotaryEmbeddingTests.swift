import Foundation
@testable import NightdeskModel
import Testing

@Suite("RoPE frequencies")
struct RotaryEmbeddingTests {
  @Test("plain RoPE: inv_freq = theta^(-2i/d)")
  func plain() {
    let (inverse, factor) = RotaryEmbedding.frequencies(headDim: 32, theta: 1e6, yarn: nil)
    #expect(factor == 1)
    for (i, value) in inverse.enumerated() {
      let exact = pow(1e6, -Double(2 * i) / 32)
      #expect(abs(Double(value) - exact) <= 1e-6 * exact)
    }
  }

  /// YaRN as written in its paper and transformers' `_compute_yarn_parameters`, in double.
  @Test("YaRN (Qwen3 128K mode: factor 4 over 32,768) against a direct double-precision formula")
  func yarn() {
    let headDim = 128, theta = 1e6, factor = 4.0, original = 32768.0
    let (inverse, attention) = RotaryEmbedding.frequencies(
      headDim: headDim, theta: theta, yarn: YaRNScaling(factor: factor, originalMaxPositions: Int(original)))
    #expect(abs(Double(attention) - (0.1 * log(4) + 1)) < 1e-6)
    let d = Double(headDim)
    func dimension(_ rotations: Double) -> Double { d * log(original / (rotations * 2 * .pi)) / (2 * log(theta)) }
    let low = max(floor(dimension(32)), 0), high = min(ceil(dimension(1)), d - 1)
    #expect(low < high)
    for i in 0..<(headDim / 2) {
      let base = pow(theta, -2 * Double(i) / d)
      let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
      // ramp 0 (high frequencies): keep base; ramp 1 (low frequencies): interpolate base / factor.
      let expected = base / factor * ramp + base * (1 - ramp)
      #expect(abs(Double(inverse[i]) - expected) <= 2e-6 * expected, "i = \(i): \(inverse[i]) vs \(expected)")
    }
    // The table folds the attention factor into cos and sin.
    let rope = RotaryEmbedding(headDim: headDim, theta: theta, layout: .halves,
                               yarn: YaRNScaling(factor: factor, originalMaxPositions: Int(original)))
    let (c, s) = rope.table(position: 1000)
    for i in [0, 20, 63] {
      let angle = Double(Float(1000) * inverse[i])
      #expect(abs(Double(c[i]) - cos(angle) * Double(attention)) < 1e-5)
      #expect(abs(Double(s[i]) - sin(angle) * Double(attention)) < 1e-5)
    }
  }
}
