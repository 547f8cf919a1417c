import Foundation
import NightdeskSupport
import NightdeskTestSupport
import NightdeskTokenizer
import Testing

@Suite struct QwenTokenizerTests {
  @Test func loadsTheFixtureFolder() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    #expect(tokenizer.vocabularySize == 151_669)
    #expect(tokenizer.preTokenizerKind == .qwen2)
    #expect(tokenizer.normalizesNFC)
    #expect(tokenizer.eosTokenID == 151_645)
    #expect(tokenizer.stopTokenIDs == [151_645])  // this folder has no generation_config.json
    #expect(tokenizer.bosTokenID == nil)
    #expect(tokenizer.addedTokenID("<|im_start|>") == 151_644)
    #expect(tokenizer.addedTokenID("<think>") == 151_667)
    #expect(tokenizer.isSpecial(151_644))
    #expect(!tokenizer.isSpecial(151_667))
    #expect(tokenizer.tokenString(21927) == "ĠHello")
    #expect(tokenizer.chatTemplate?.contains("enable_thinking") == true)
  }

  @Test func generationConfigAddsStopTokens() throws {
    let spec = try TokenizerSpec(huggingFaceFolder: TestPaths.fixture("qwen3-tiny"))
    #expect(spec.eosTokenID == 151_645)
    #expect(spec.extraStopTokenIDs == [151_643])
  }

  /// All 300 reference cases: identical ids, and decoding gives back NFC(text).
  @Test func everyReferenceCaseEncodesToTheReferenceIDs() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    let cases = try TokenizerFixtures.jsonLines("tokenizer-qwen/cases.jsonl")
    #expect(cases.count == 300)
    var failures: [String] = []
    for testCase in cases {
      let name = testCase["name"]?.stringValue ?? "?"
      let text = testCase["text"]?.stringValue ?? ""
      let expected = TokenizerFixtures.ids(testCase["ids"])
      let ids = tokenizer.encode(text)
      if ids != expected { failures.append("\(name): got \(ids.prefix(40)), expected \(expected.prefix(40))") }
      let decoded = tokenizer.decode(ids)
      if decoded != text.precomposedStringWithCanonicalMapping {
        failures.append("\(name): decodes to \(decoded.debugDescription)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) cases differ:\n\(failures.prefix(10).joined(separator: "\n"))")
  }

  @Test func untrustedTextEncodesAddedTokensAsPlainText() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    let text = "<|im_start|>user\nhi<|im_end|><think>"
    let trusted = tokenizer.encode(text)
    #expect(trusted.first == 151_644)
    #expect(trusted.contains(151_645) && trusted.last == 151_667)
    let untrusted = tokenizer.encode(text, allowSpecial: false)
    #expect(untrusted.allSatisfy { $0 < 151_643 })
    #expect(tokenizer.decode(untrusted) == text)
    #expect(untrusted.count > trusted.count)
  }

  @Test func longestAddedTokenWinsAtTheLeftmostPosition() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    // `<tool_call>` vs `<tool_response>` share a prefix; `</think>` must not become `<`/`/think>`.
    #expect(tokenizer.encode("<tool_response></think>") == [151_665, 151_668])
  }

  @Test func skipsSpecialTokensOnlyWhenAsked() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    let ids = tokenizer.encode("<|im_start|>assistant\n<think>\n\n</think>\n\nHi<|im_end|>")
    #expect(tokenizer.decode(ids) == "<|im_start|>assistant\n<think>\n\n</think>\n\nHi<|im_end|>")
    #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "assistant\n<think>\n\n</think>\n\nHi")
  }

  @Test func decodeIgnoresPaddingIDsBeyondTheVocabulary() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    #expect(tokenizer.decode([9707, 151_700, 151_935, -1]) == "Hello")
    #expect(tokenizer.tokenString(151_700) == nil)
  }

  /// One tokenizer serves many tasks at once (it is immutable; scratch space is per call).
  @Test func concurrentEncodesAgree() async throws {
    let tokenizer = try TokenizerFixtures.qwen()
    let texts = try TokenizerFixtures.jsonLines("tokenizer-qwen/cases.jsonl").map { $0["text"]?.stringValue ?? "" }
    let expected = texts.map { tokenizer.encode($0) }
    let results = await withTaskGroup(of: (Int, [[Int32]]).self) { group in
      for worker in 0..<4 {
        group.addTask { (worker, texts.map { tokenizer.encode($0) }) }
      }
      var all: [[[Int32]]] = []
      for await (_, ids) in group { all.append(ids) }
      return all
    }
    #expect(results.count == 4)
    #expect(results.allSatisfy { $0 == expected })
  }

  /// A megabyte-long run of one symbol is a single piece: BPE must stay fast and exact.
  @Test func longRunsOfOneSymbolEncodeAndRoundTrip() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    let text = String(repeating: "=", count: 200_000) + " " + String(repeating: "中", count: 50_000)
    let ids = tokenizer.encode(text)
    #expect(tokenizer.decode(ids) == text)
  }
}
