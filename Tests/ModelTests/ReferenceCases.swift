import Foundation
import NightdeskModel
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// One greedy reference case from the fixtures (qwen3-tiny or SmolLM2).
struct ReferenceCase {
  var name: String
  var promptIDs: [Int32]
  var greedyTokens: [Int32]
  /// step → [(id, logit)] top-10 after `step` generated tokens.
  var topK: [Int: [(Int32, Float)]]

  static func load(_ relativePath: String) throws -> [ReferenceCase] {
    let json = try JSONParser.parse(try Data(contentsOf: TestPaths.fixture(relativePath)))
    return try #require(json["cases"]?.arrayValue).map { value in
      var topK: [Int: [(Int32, Float)]] = [:]
      for step in value["topk_steps"]?.arrayValue ?? [] {
        let pairs = (step["top10"]?.arrayValue ?? []).map { pair -> (Int32, Float) in
          (Int32(pair.arrayValue![0].intValue!), Float(pair.arrayValue![1].doubleValue!))
        }
        topK[step["step"]!.intValue!] = pairs
      }
      return ReferenceCase(
        name: value["name"]!.stringValue!,
        promptIDs: value["prompt_ids"]!.arrayValue!.map { Int32($0.intValue!) },
        greedyTokens: value["greedy_tokens"]!.arrayValue!.map { Int32($0.intValue!) },
        topK: topK)
    }
  }
}

/// Runs `reference` greedily on `model` (prompt prefilled in chunks of `chunkSize`) and checks
/// tokens and top-K logits against it.
func checkGreedy(_ model: TransformerModel, _ reference: ReferenceCase, tolerance: Float, chunkSize: Int = 512,
                 precision: KVPrecision = .f32) throws {
  let sequence = try SingleSequence(model: model, capacity: reference.promptIDs.count + reference.greedyTokens.count,
                                    precision: precision)
  var logits = try sequence.feed(reference.promptIDs, chunkSize: chunkSize)
  var generated: [Int32] = []
  for step in 0..<reference.greedyTokens.count {
    if let top = reference.topK[step] {
      for (id, expected) in top {
        let actual = logits[Int(id)]
        #expect(abs(actual - expected) <= tolerance,
                "\(reference.name) step \(step) token \(id): \(actual) vs reference \(expected)")
      }
    }
    let next = Int32(argmax(logits))
    generated.append(next)
    if next != reference.greedyTokens[step] { break }
    if step + 1 < reference.greedyTokens.count { logits = try sequence.feed([next]) }
  }
  #expect(generated == Array(reference.greedyTokens.prefix(generated.count)) && generated.count == reference.greedyTokens.count,
          "\(reference.name): greedy tokens \(generated) vs reference \(reference.greedyTokens)")
}
