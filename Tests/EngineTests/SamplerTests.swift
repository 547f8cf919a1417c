import Foundation
import Testing
@testable import NightdeskEngine
import NightdeskRequests

@Suite struct SamplerTests {
  let logits: [Float] = [0.5, 2.0, -1.0, 2.0, 1.5, 0.0, -3.0, 1.9]

  @Test func greedyTakesTheLowestIdOfTheMaxima() {
    var sampler = Sampler(parameters: .greedy, seed: 0, prompt: [])
    #expect(sampler.sample(logits[...]).id == 1)
  }

  @Test func theSameSeedGivesTheSameTokensAndOthersDiffer() {
    func run(_ seed: UInt64) -> [Int32] {
      var sampler = Sampler(parameters: SamplingParameters(temperature: 1.5), seed: seed, prompt: [])
      return (0..<40).map { _ in sampler.sample(logits[...]).id }
    }
    #expect(run(7) == run(7))
    #expect(run(7) != run(8))
  }

  @Test func topKOneAndTinyTopPAreGreedy() {
    for parameters in [SamplingParameters(topK: 1), SamplingParameters(topP: 0.01)] {
      for seed in 0..<20 {
        var sampler = Sampler(parameters: parameters, seed: UInt64(seed), prompt: [])
        #expect(sampler.sample(logits[...]).id == 1)
      }
    }
  }

  @Test func minPKeepsTokensNearlyAsLikelyAsTheBest() {
    var seen = Set<Int32>()
    for seed in 0..<100 {
      var sampler = Sampler(parameters: SamplingParameters(minP: 0.95), seed: UInt64(seed), prompt: [])
      seen.insert(sampler.sample(logits[...]).id)
    }
    #expect(seen == [1, 3])  // the tied maxima; 1.9 is exp(-0.1) = 0.905 of them
  }

  @Test func topKKeepsOnlyTheKMostLikely() {
    var seen = Set<Int32>()
    for seed in 0..<300 {
      var sampler = Sampler(parameters: SamplingParameters(temperature: 5, topK: 3), seed: UInt64(seed), prompt: [])
      seen.insert(sampler.sample(logits[...]).id)
    }
    #expect(seen == [1, 3, 7])
  }

  @Test func samplingFollowsTheSoftmax() {
    let twoWay: [Float] = [0, Float(Foundation.log(3.0))]  // p = 1/4, 3/4
    var ones = 0
    for seed in 0..<4000 {
      var sampler = Sampler(parameters: SamplingParameters(temperature: 1), seed: UInt64(seed), prompt: [])
      if sampler.sample(twoWay[...]).id == 1 { ones += 1 }
    }
    #expect(abs(Double(ones) / 4000 - 0.75) < 0.03)
  }

  @Test func penaltiesPushRepeatedTokensDown() {
    var sampler = Sampler(parameters: SamplingParameters(temperature: 0, frequencyPenalty: 2), seed: 0, prompt: [])
    let first = sampler.sample(logits[...]).id
    let second = sampler.sample(logits[...]).id
    #expect(first == 1 && second == 3)
    var repeated = Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 2), seed: 0, prompt: [1, 3])
    #expect(repeated.sample(logits[...]).id == 7)
  }

  @Test func logprobsAreNormalisedAndTopAlternativesOrdered() {
    var sampler = Sampler(parameters: SamplingParameters(temperature: 0, logprobs: 3), seed: 0, prompt: [])
    let token = sampler.sample(logits[...])
    let total = logits.reduce(0.0) { $0 + Foundation.exp(Double($1)) }
    #expect(abs(Double(token.logprob!) - (2.0 - Foundation.log(total))) < 1e-5)
    #expect(token.topLogprobs.map(\.id) == [1, 3, 7])
  }

  @Test func stopMatcherHoldsBackOnlyAPossibleStopPrefix() {
    var matcher = StopMatcher(stopStrings: ["END", "\n\n"])
    var outcomes: [StopMatcher.Outcome] = []
    for piece in ["hello E", "N", "Dless"] { outcomes.append(matcher.append(piece)) }
    #expect(outcomes == [.text("hello "), .text(""), .stopped(before: "", stop: "END")])
    var fresh = StopMatcher(stopStrings: ["END", "\n\n"])
    outcomes = []
    for piece in ["ab\n", "x", "yE", "ND tail"] { outcomes.append(fresh.append(piece)) }
    #expect(outcomes == [.text("ab"), .text("\nx"), .text("y"), .stopped(before: "", stop: "END")])
    var multibyte = StopMatcher(stopStrings: ["é!"])
    outcomes = []
    for piece in ["caf", "é"] { outcomes.append(multibyte.append(piece)) }
    let rest = multibyte.finish()
    #expect(outcomes == [.text("caf"), .text("")])
    #expect(rest == "é")
  }
}
