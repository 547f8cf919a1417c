import Foundation
import NightdeskModel
import NightdeskTestSupport
import Testing

/// A sequence's logits must be bitwise the same alone, batched with others
/// (mixed prefill and decode), and when its prompt is prefilled in chunks.
@Suite("Batched forward is bitwise identical to one sequence at a time")
struct BatchDeterminismTests {
  /// The 8-bit-activation mode must keep the property too (its weights: the Q8_0 GGUF).
  @Test("qwen3-tiny: four sequences in one step, chunked prefill, mixed decode",
        arguments: [(KVPrecision.f32, ActivationPrecision.float32), (.bf16, .float32), (.f32, .int8), (.f16, .int8)])
  func batchedEqualsAlone(precision: KVPrecision, activations: ActivationPrecision) throws {
    let folder = TestPaths.fixture("qwen3-tiny")
    let path = activations == .float32 ? folder.path : folder.appendingPathComponent("qwen3-tiny-Q8_0.gguf").path
    let model = try ModelPackage.open(path).loadModel(activations: activations)
    let cases = try ReferenceCase.load("qwen3-tiny/reference.json")
    let prompts = ["doc_question_a", "single_token", "code_python"].compactMap { name in cases.first { $0.name == name }?.promptIDs }
      + [Array(cases[3].promptIDs.prefix(37))]
    #expect(prompts.count >= 3)

    // Alone: each prompt in one chunk, then 3 decode steps of fixed tokens.
    let decodeTokens: [Int32] = [11, 220, 151645]
    var alone: [[[Float]]] = []
    for prompt in prompts {
      let sequence = try SingleSequence(model: model, capacity: prompt.count + 8, precision: precision)
      var rows = [try sequence.feed(prompt)]
      for token in decodeTokens { rows.append(try sequence.feed([token])) }
      alone.append(rows)
    }

    // Together: blockSize 16, each sequence its own blocks (in a scrambled order);
    // prompts prefilled in chunks of 16 (on block boundaries) or 5 (not), interleaved.
    for chunkSize in [16, 5] {
      let blockSize = 16
      let blocksPer = 16
      let kv = try model.makeKVStorage(blockCount: blocksPer * prompts.count, blockSize: blockSize, precision: precision)
      let tables: [[Int32]] = prompts.indices.map { s in (0..<blocksPer).map { Int32(($0 * prompts.count + s) % (blocksPer * prompts.count)) }.reversed() }
      var done = [Int](repeating: 0, count: prompts.count)
      var results = [[[Float]]](repeating: [], count: prompts.count)
      var decoded = [Int](repeating: 0, count: prompts.count)
      while results.enumerated().contains(where: { $0.element.count < decodeTokens.count + 1 }) {
        var tokens: [Int32] = []
        var chunks: [SequenceChunk] = []
        var owners: [Int] = []
        for s in prompts.indices where results[s].count < decodeTokens.count + 1 {
          let piece: [Int32]
          if done[s] < prompts[s].count {
            piece = Array(prompts[s][done[s]..<min(prompts[s].count, done[s] + chunkSize)])
          } else {
            piece = [decodeTokens[decoded[s]]]
          }
          let wants = done[s] + piece.count >= prompts[s].count
          chunks.append(SequenceChunk(rows: tokens.count..<(tokens.count + piece.count), startPosition: done[s] + decoded[s],
                                      blockTable: tables[s], wantsLogits: wants))
          tokens += piece
          if wants { owners.append(s) }
          if done[s] < prompts[s].count { done[s] += piece.count } else { decoded[s] += 1 }
        }
        let logits = try model.forward(ForwardBatch(tokens: tokens, chunks: chunks), kv: kv)
        #expect(logits.rowCount == owners.count)
        for (i, s) in owners.enumerated() { results[s].append(Array(logits.row(i))) }
      }
      for s in prompts.indices {
        for step in 0...decodeTokens.count {
          #expect(results[s][step].map(\.bitPattern) == alone[s][step].map(\.bitPattern), "chunk \(chunkSize), sequence \(s), step \(step): logits differ")
        }
      }
    }
  }
}
