import Foundation
import NightdeskTestSupport
import NightdeskTokenizer
import Testing

/// Broken tokenizer folders give errors that name the file and what is wrong.
@Suite struct TokenizerLoadingErrorTests {
  private func folder(tokenizerJSON: String) throws -> URL {
    let folder = try TestPaths.temporaryDirectory("tokenizer")
    try tokenizerJSON.write(to: folder.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
    return folder
  }

  private func loadError(_ tokenizerJSON: String) throws -> String {
    let folder = try folder(tokenizerJSON: tokenizerJSON)
    defer { try? FileManager.default.removeItem(at: folder) }
    do {
      _ = try Tokenizer(spec: TokenizerSpec(huggingFaceFolder: folder))
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  private let byteLevel = #"{"type": "ByteLevel", "use_regex": true}"#

  @Test func missingFolderNamesTheFile() throws {
    let message = try loadError("").replacingOccurrences(of: "\n", with: " ")
    #expect(message.contains("tokenizer.json") && message.contains("invalid JSON"))
    #expect(throws: TokenizerError.self) {
      try TokenizerSpec(huggingFaceFolder: URL(fileURLWithPath: "/nonexistent/model"))
    }
  }

  @Test func truncatedJSONSaysWhere() throws {
    let message = try loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0"#)
    #expect(message.contains("tokenizer.json") && message.contains("line 1"))
  }

  @Test func wrongShapesAreNamed() throws {
    #expect(try loadError(#"{"pre_tokenizer": \#(byteLevel)}"#).contains("missing the \"model\" object"))
    #expect(try loadError(#"{"model": {"type": "Unigram", "vocab": []}}"#).contains("only BPE"))
    #expect(
      try loadError(#"{"pre_tokenizer": \#(byteLevel), "model": {"vocab": {"a": "zero"}, "merges": []}}"#)
        .contains("model.vocab[\"a\"]"))
    #expect(
      try loadError(#"{"pre_tokenizer": \#(byteLevel), "model": {"vocab": {"a": 0}, "merges": [7]}}"#)
        .contains("model.merges[0]"))
    #expect(
      try loadError(#"{"pre_tokenizer": {"type": "Whitespace"}, "model": {"vocab": {"a": 0}, "merges": []}}"#)
        .contains("pre_tokenizer"))
    #expect(
      try loadError(
        #"{"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true}, "model": {"vocab": {"a": 0}, "merges": []}}"#
      ).contains("add_prefix_space"))
  }

  @Test func aVocabularyThatIsNotByteLevelIsRejected() throws {
    let message = try loadError(#"{"pre_tokenizer": \#(byteLevel), "model": {"vocab": {"a": 0}, "merges": []}}"#)
    #expect(message.contains("only byte-level BPE"))
  }

  @Test func mergesMustNameVocabularyTokens() throws {
    // A full byte alphabet, then a merge of two tokens the vocabulary lacks.
    var vocab: [String] = []
    for byte in 0..<256 {
      let scalar = byteLevelScalar(UInt8(byte))
      let escaped = String(scalar).unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
      vocab.append("\"\(escaped)\": \(byte)")
    }
    let json = #"{"pre_tokenizer": \#(byteLevel), "model": {"vocab": {\#(vocab.joined(separator: ","))}, "merges": ["xy zz"]}}"#
    #expect(try loadError(json).contains("merge 0 \"xy zz\" names a token that is not in the vocabulary"))
  }

  /// GPT-2's byte → printable scalar mapping, written out independently of the library.
  private func byteLevelScalar(_ byte: UInt8) -> Unicode.Scalar {
    let printed = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    if printed { return Unicode.Scalar(byte) }
    let shifted = (0..<Int(byte)).filter {
      !((0x21...0x7E).contains($0) || (0xA1...0xAC).contains($0) || (0xAE...0xFF).contains($0))
    }.count
    return Unicode.Scalar(UInt32(256 + shifted))!
  }
}
