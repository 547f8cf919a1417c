import Foundation
import NightdeskSupport
import NightdeskTestSupport
import NightdeskTokenizer
import Testing

/// Tokenizers built from GGUF metadata (through the Model module's GGUF reader).
@Suite struct GGUFTokenizerTests {
  /// All 100 SmolLM2 cases, following llama.cpp's `smollm` pre-tokenizer (digits
  /// isolated) where the fixture records that it differs from transformers'.
  @Test func everySmolLM2CaseEncodesToTheReferenceIDs() throws {
    let tokenizer = try TokenizerFixtures.smolLM2()
    #expect(tokenizer.preTokenizerKind == .smollm)
    #expect(tokenizer.vocabularySize == 49_152)
    #expect(tokenizer.eosTokenID == 2)
    let cases = try TokenizerFixtures.jsonLines("smollm2/tokenizer_cases.jsonl")
    #expect(cases.count == 100)
    var failures: [String] = []
    for testCase in cases {
      let name = testCase["name"]?.stringValue ?? "?"
      let text = testCase["text"]?.stringValue ?? ""
      let expected = TokenizerFixtures.ids(testCase["ids_with_digit_split_pretokenizer"] ?? testCase["ids"])
      let ids = tokenizer.encode(text)
      if ids != expected { failures.append("\(name): got \(ids.prefix(40)), expected \(expected.prefix(40))") }
      if testCase["decodes_to_text"]?.boolValue == true, tokenizer.decode(ids) != text {
        failures.append("\(name): decodes to \(tokenizer.decode(ids).debugDescription)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) cases differ:\n\(failures.prefix(10).joined(separator: "\n"))")
  }

  /// The Qwen vocabulary from the GGUF (no normalizer stored: NFC comes from the
  /// `qwen2` pre-tokenizer) gives the same ids as from tokenizer.json.
  @Test func qwenFromGGUFMatchesEveryReferenceCase() throws {
    let tokenizer = try TokenizerFixtures.qwenGGUF()
    #expect(tokenizer.normalizesNFC)
    #expect(tokenizer.vocabularySize == 151_936)
    let cases = try TokenizerFixtures.jsonLines("tokenizer-qwen/cases.jsonl")
    let mismatches = cases.filter {
      tokenizer.encode($0["text"]?.stringValue ?? "") != TokenizerFixtures.ids($0["ids"])
    }.compactMap { $0["name"]?.stringValue }
    #expect(mismatches.isEmpty, "\(mismatches)")
    #expect(try ChatTemplate(modelTemplate: tokenizer.chatTemplate).format == .qwen3)
  }
}
