import Foundation
import NightdeskModel
import NightdeskRequests

/// A chosen token and, when asked for, its log-probability and the top alternatives.
public struct SampledToken: Sendable, Equatable {
  public var id: Int32
  /// log p(id) under the model's raw distribution (before penalties, temperature and truncation).
  public var logprob: Float?
  /// The most likely tokens under the same raw distribution, most likely first.
  public var topLogprobs: [TokenLogprob]
}

public struct TokenLogprob: Sendable, Equatable {
  public var id: Int32
  public var logprob: Float
  public init(id: Int32, logprob: Float) {
    self.id = id
    self.logprob = logprob
  }
}

/// Picks the tokens of one request from its logits. Penalties need the request's
/// history, so each request has its own sampler; the random draw for the n-th
/// token is `CounterRNG.uniform(seed, n)`, independent of everything else. The
/// engine samples every request with it, and `generate`'s single-sequence path
/// too, so a seed gives the same tokens in every mode.
///
/// Order: penalties, temperature, top-k, top-p, min-p, then one draw by inverse
/// CDF over the kept tokens (most likely first, lowest id first on a tie).
public struct Sampler: Sendable {
  public let parameters: SamplingParameters
  public let seed: UInt64
  // The real-valued parameters in the precision the logits have.
  private let temperature: Float
  private let topP: Float
  private let minP: Float
  private let repetitionPenalty: Float
  private let presencePenalty: Float
  private let frequencyPenalty: Float
  /// Draws made so far (the index of the next generated token).
  private(set) var step = 0
  /// Prompt tokens, for the repetition penalty only.
  private let promptTokens: Set<Int32>
  /// How often each generated token occurred.
  private var outputCounts: [Int32: Int] = [:]

  public init(parameters: SamplingParameters, seed: UInt64, prompt: [Int32]) {
    self.parameters = parameters
    self.seed = seed
    temperature = Float(parameters.temperature)
    topP = Float(parameters.topP)
    minP = Float(parameters.minP)
    repetitionPenalty = Float(parameters.repetitionPenalty)
    presencePenalty = Float(parameters.presencePenalty)
    frequencyPenalty = Float(parameters.frequencyPenalty)
    promptTokens = parameters.repetitionPenalty == 1 ? [] : Set(prompt)
  }

  private var hasPenalties: Bool { parameters.hasPenalties }

  public mutating func sample(_ logits: ArraySlice<Float>) -> SampledToken {
    let chosen: Int
    if parameters.isGreedy && !hasPenalties && parameters.logprobs == nil {
      // The common greedy case reads the step's logits in place: no copy per token.
      chosen = logits.withContiguousStorageIfAvailable { argmax($0) } ?? argmax(Array(logits))
      step += 1
      outputCounts[Int32(chosen), default: 0] += 1
      return SampledToken(id: Int32(chosen), logprob: nil, topLogprobs: [])
    }
    let raw = Array(logits)
    let scores = hasPenalties ? penalised(raw) : raw
    if parameters.isGreedy {
      chosen = argmax(scores)
    } else {
      chosen = draw(scores, uniform: CounterRNG.uniform(seed: seed, step: step))
    }
    step += 1
    outputCounts[Int32(chosen), default: 0] += 1
    var token = SampledToken(id: Int32(chosen), logprob: nil, topLogprobs: [])
    if let alternatives = parameters.logprobs {
      let logSum = Self.logSumExp(raw)
      token.logprob = raw[chosen] - logSum
      token.topLogprobs = Self.top(alternatives, of: raw).map { TokenLogprob(id: Int32($0), logprob: raw[$0] - logSum) }
    }
    return token
  }

  private func penalised(_ raw: [Float]) -> [Float] {
    var scores = raw
    let repetition = repetitionPenalty
    if repetition != 1 {
      for token in promptTokens.union(outputCounts.keys) where Int(token) < scores.count {
        let score = scores[Int(token)]
        scores[Int(token)] = score > 0 ? score / repetition : score * repetition
      }
    }
    for (token, count) in outputCounts where Int(token) < scores.count {
      scores[Int(token)] -= presencePenalty + frequencyPenalty * Float(count)
    }
    return scores
  }

  /// One draw from the truncated, temperature-scaled distribution.
  private func draw(_ scores: [Float], uniform: Double) -> Int {
    let best = argmax(scores)
    let maxScore = scores[best]
    let inverseTemperature = 1 / temperature
    // Weights relative to the most likely token, which has weight 1.
    var weights = [Float](repeating: 0, count: scores.count)
    var total: Double = 0
    for index in scores.indices {
      let weight = Foundation.exp((scores[index] - maxScore) * inverseTemperature)
      weights[index] = weight
      total += Double(weight)
    }
    let minWeight = minP  // p_i >= minP * p_max  <=>  w_i >= minP
    let truncates = parameters.topK > 0 || topP < 1
    var kept: [Int]
    if truncates {
      kept = candidates(weights, total: total)
      kept.sort { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
      if parameters.topK > 0, kept.count > parameters.topK { kept.removeLast(kept.count - parameters.topK) }
      if topP < 1 {
        let keptMass = kept.reduce(0.0) { $0 + Double(weights[$1]) }
        var mass = 0.0
        var end = 0
        while end < kept.count {
          mass += Double(weights[kept[end]])
          end += 1
          if mass >= Double(topP) * keptMass { break }
        }
        kept.removeLast(kept.count - end)
      }
      if minWeight > 0 { kept.removeAll { weights[$0] < minWeight } }
    } else {
      kept = minWeight > 0 ? scores.indices.filter { weights[$0] >= minWeight } : Array(scores.indices)
    }
    let keptMass = kept.reduce(0.0) { $0 + Double(weights[$1]) }
    let target = uniform * keptMass
    var mass = 0.0
    for index in kept {
      mass += Double(weights[index])
      if mass > target { return index }
    }
    return kept.last ?? best
  }

  /// Tokens that certainly include the top-k and the top-p nucleus: all tokens of
  /// the heaviest power-of-two weight classes, enough of them to hold k tokens and
  /// p of the mass. Saves sorting a 150k vocabulary for each token.
  private func candidates(_ weights: [Float], total: Double) -> [Int] {
    let classes = 64
    var counts = [Int](repeating: 0, count: classes)
    var masses = [Double](repeating: 0, count: classes)
    var classOf = [UInt8](repeating: UInt8(classes - 1), count: weights.count)
    for index in weights.indices where weights[index] > 0 {
      let level = min(classes - 1, Int(-log2(weights[index])))
      classOf[index] = UInt8(level)
      counts[level] += 1
      masses[level] += Double(weights[index])
    }
    let needCount = parameters.topK > 0 ? parameters.topK : 1
    let needMass = Double(topP) * total
    var lastClass = classes - 1
    var count = 0
    var mass = 0.0
    for level in 0..<classes {
      count += counts[level]
      mass += masses[level]
      if count >= needCount && mass >= needMass {
        lastClass = level
        break
      }
    }
    if lastClass == classes - 1 { return Array(weights.indices) }
    return weights.indices.filter { classOf[$0] <= lastClass }
  }

  static func logSumExp(_ values: [Float]) -> Float {
    let maxValue = values[argmax(values)]
    var sum: Double = 0
    for value in values { sum += Double(Foundation.exp(value - maxValue)) }
    return maxValue + Float(Foundation.log(sum))
  }

  /// Indices of the n largest values, largest first (lowest index on a tie).
  static func top(_ n: Int, of values: [Float]) -> [Int] {
    guard n > 0 else { return [] }
    var best: [Int] = []
    best.reserveCapacity(n + 1)
    for index in values.indices {
      if best.count == n, values[index] <= values[best[n - 1]] { continue }
      var position = best.count
      while position > 0, values[best[position - 1]] < values[index] { position -= 1 }
      best.insert(index, at: position)
      if best.count > n { best.removeLast() }
    }
    return best
  }
}
