@testable import NightdeskTokenizer
import Testing

/// The encoder emits a piece that is itself a token without running the merges
/// (tiktoken does the same). That is only exact if running the merges on each
/// token's bytes gives back the token, which this checks for the whole vocabulary.
@Suite struct WholeTokenShortcutTests {
  @Test func mergesRebuildEveryQwenToken() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    #expect(tokensTheMergesDoNotRebuild(tokenizer).isEmpty)
  }

  @Test func mergesRebuildEverySmolLM2Token() throws {
    let tokenizer = try TokenizerFixtures.smolLM2()
    #expect(tokensTheMergesDoNotRebuild(tokenizer).isEmpty)
  }
}

func tokensTheMergesDoNotRebuild(_ tokenizer: Tokenizer) -> [Int32] {
  var scratch = BPEScratch()
  var mismatches: [Int32] = []
  let vocabulary = tokenizer.vocabulary
  for id in 0..<vocabulary.count where tokenizer.addedTokens.allSatisfy({ $0.id != Int32(id) }) {
    let bytes = Array(vocabulary.bytes(of: id))
    guard bytes.count > 1 else { continue }
    var out: [Int32] = []
    bytes.withUnsafeBufferPointer { tokenizer.encoder.merge($0.baseAddress!, $0.count, into: &out, scratch: &scratch) }
    if out != [Int32(id)] { mismatches.append(Int32(id)) }
  }
  return mismatches
}
