/// The single-request sampler of `generate`: greedy at temperature 0, else
/// temperature, top-k and top-p, then one seeded draw. (The engine has the
/// full per-request sampler with penalties and logprobs.)
struct TokenSampler {
  let temperature: Float
  let topK: Int
  let topP: Float
  private var state: UInt64

  init(temperature: Float, topK: Int, topP: Float, seed: UInt64) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    state = seed
  }

  /// SplitMix64: a uniform double in [0, 1).
  private mutating func uniform() -> Double {
    state &+= 0x9E3779B97F4A7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
    z ^= z >> 31
    return Double(z >> 11) / Double(1 << 53)
  }

  mutating func sample(_ logits: [Float]) -> Int32 {
    if temperature == 0 || topK == 1 {
      return Int32(logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) } ?? 0)
    }
    var order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
    if topK > 0 { order = Array(order.prefix(topK)) }
    let maxLogit = Double(logits[order[0]])
    var weights = order.map { Foundation.exp((Double(logits[$0]) - maxLogit) / Double(temperature)) }
    let total = weights.reduce(0, +)
    if topP < 1 {
      var cumulative = 0.0, keep = 0
      while keep < weights.count {
        cumulative += weights[keep] / total
        keep += 1
        if cumulative >= Double(topP) { break }
      }
      order = Array(order.prefix(keep))
      weights = Array(weights.prefix(keep))
    }
    let target = uniform() * weights.reduce(0, +)
    var running = 0.0
    for (index, weight) in zip(order, weights) {
      running += weight
      if running > target { return Int32(index) }
    }
    return Int32(order.last!)
  }
}

import Foundation
