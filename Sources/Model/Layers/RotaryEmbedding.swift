import Foundation
import NightdeskKernels

/// Rotary position embedding with Hugging Face's frequencies (float32
/// `inv_freq`, angle = position · inv_freq in float32), optionally YaRN-scaled.
/// cos/sin are tabulated per position on first use.
final class RotaryEmbedding {
  let headDim: Int
  let layout: RoPELayout
  /// [headDim / 2]
  let inverseFrequencies: [Float]
  /// YaRN's attention factor (0.1·ln(factor) + 1) on cos and sin; 1 without YaRN.
  let attentionFactor: Float
  private let cosTable = FloatBuffer()  // [positions, headDim / 2]
  private let sinTable = FloatBuffer()
  private var positions = 0

  init(headDim: Int, theta: Double, layout: RoPELayout, yarn: YaRNScaling?) {
    self.headDim = headDim
    self.layout = layout
    let parameters = Self.frequencies(headDim: headDim, theta: theta, yarn: yarn)
    inverseFrequencies = parameters.inverseFrequencies
    attentionFactor = parameters.attentionFactor
  }

  /// transformers' `_compute_default_rope_parameters` / `_compute_yarn_parameters`, in float32 where it is.
  static func frequencies(headDim: Int, theta: Double, yarn: YaRNScaling?) -> (inverseFrequencies: [Float], attentionFactor: Float) {
    let half = headDim / 2
    let base = Float(theta)
    // pos_freqs = base ** (arange(0, dim, 2) / dim), float32
    let posFreqs: [Float] = (0..<half).map { i in powf(base, Float(2 * i) / Float(headDim)) }
    guard let yarn else { return (posFreqs.map { 1 / $0 }, 1) }
    let factor = Float(yarn.factor)
    func correctionDim(_ rotations: Double) -> Double {
      Double(headDim) * log(Double(yarn.originalMaxPositions) / (rotations * 2 * Double.pi)) / (2 * log(theta))
    }
    let low = max(floor(correctionDim(yarn.betaFast)), 0)
    var high = min(ceil(correctionDim(yarn.betaSlow)), Double(headDim - 1))
    if low == high { high += 0.001 }
    let inverse: [Float] = (0..<half).map { i in
      let extrapolation = 1 / posFreqs[i]
      let interpolation = 1 / (factor * posFreqs[i])
      let ramp = min(max((Float(i) - Float(low)) / Float(high - low), 0), 1)
      let extrapolationFactor = 1 - ramp
      return interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor
    }
    return (inverse, Float(0.1 * log(yarn.factor) + 1))
  }

  /// Makes sure cos/sin exist for positions 0 ..< count.
  func reserve(positions count: Int) {
    guard count > positions else { return }
    let half = headDim / 2
    let newCount = max(count, positions * 2, 256)
    let oldCos = Array(UnsafeBufferPointer(start: cosTable.pointer, count: positions * half))
    let oldSin = Array(UnsafeBufferPointer(start: sinTable.pointer, count: positions * half))
    cosTable.reserve(newCount * half)
    sinTable.reserve(newCount * half)
    cosTable.pointer.update(from: oldCos, count: oldCos.count)
    sinTable.pointer.update(from: oldSin, count: oldSin.count)
    for p in positions..<newCount {
      for i in 0..<half {
        let angle = Float(p) * inverseFrequencies[i]
        cosTable.pointer[p * half + i] = Float(cos(Double(angle))) * attentionFactor
        sinTable.pointer[p * half + i] = Float(sin(Double(angle))) * attentionFactor
      }
    }
    positions = newCount
  }

  /// The (cos, sin) pair the table holds for one position (tests).
  func table(position: Int) -> (cos: [Float], sin: [Float]) {
    reserve(positions: position + 1)
    let half = headDim / 2
    return (Array(UnsafeBufferPointer(start: cosTable.pointer + position * half, count: half)),
            Array(UnsafeBufferPointer(start: sinTable.pointer + position * half, count: half)))
  }

  /// Rotates `heads` head vectors in each row of `x` ([rows, stride]) by the row's position.
  func apply(_ x: UnsafeMutablePointer<Float>, stride: Int, heads: Int, positions rowPositions: [Int64]) {
    let half = headDim / 2
    let adjacent: Int32 = layout == .adjacent ? 1 : 0
    for (row, position) in rowPositions.enumerated() {
      let offset = Int(position) * half
      nd_rope(x + row * stride, Int64(heads), Int64(headDim), cosTable.pointer + offset, sinTable.pointer + offset, adjacent)
    }
  }
}
