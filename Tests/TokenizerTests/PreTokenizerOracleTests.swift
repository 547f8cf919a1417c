import NightdeskSupport
import Foundation
@testable import NightdeskTokenizer
import NightdeskTestSupport
import Testing

/// The hand-written split scanners against an independent regex engine (ICU,
/// through NSRegularExpression) running the reference patterns on random text
/// built from the characters that make the patterns' alternatives disagree.
/// ICU's `\s` lacks U+000B and U+0085 (Unicode's White_Space has them), so those
/// two stay out of the alphabet; the fixture cases cover them.
@Suite struct PreTokenizerOracleTests {
  static let qwenPattern =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
  static let llama3Pattern =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
  static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

  static let alphabet: [String] = [
    "a", "Z", "é", "中", "ß", "1", "42", "٣", "Ⅱ", "½", " ", " ", " ", "\t", "\n", "\r", "\r\n", "\u{3000}", "\u{00A0}",
    "\u{2028}", "'", "'", "'s", "'S", "'t", "'ll", "'LL", "'Re", "'ve", "'m", "'d", "'x", ".", "!", ",", "-", "😀",
    "\u{0301}", "\u{200D}", "<", "|", "ſ",
  ]

  /// Matches of `pattern` over `text`, as strings (the patterns match at every position).
  static func regexPieces(_ pattern: String, _ text: String) throws -> [String] {
    let regex = try NSRegularExpression(pattern: pattern)
    let units = Array(text.utf16)
    return regex.matches(in: text, range: NSRange(location: 0, length: units.count)).map {
      String(decoding: units[$0.range.location..<($0.range.location + $0.range.length)], as: UTF16.self)
    }
  }

  static func scannerPieces(_ kind: PreTokenizerKind, _ text: String) -> [String] {
    let bytes = Array(text.utf8)
    var pieces: [String] = []
    bytes.withUnsafeBufferPointer { buffer in
      PreTokenizer(kind: kind).split(buffer) { start, end in
        pieces.append(String(decoding: buffer[start..<end], as: UTF8.self))
      }
    }
    return pieces
  }

  /// llama.cpp's smollm: each `\p{N}` alone, GPT-2's pattern on the stretches between.
  static func smollmRegexPieces(_ text: String) throws -> [String] {
    var pieces: [String] = []
    var stretch = ""
    for scalar in text.unicodeScalars {
      let category = scalar.properties.generalCategory
      if category == .decimalNumber || category == .letterNumber || category == .otherNumber {
        pieces += try regexPieces(gpt2Pattern, stretch)
        stretch = ""
        pieces.append(String(scalar))
      } else {
        stretch.unicodeScalars.append(scalar)
      }
    }
    return pieces + (try regexPieces(gpt2Pattern, stretch))
  }

  @Test(arguments: [PreTokenizerKind.qwen2, .gpt2, .smollm, .llama3])
  func scannerAgreesWithTheRegexOnRandomText(kind: PreTokenizerKind) throws {
    var generator = SplitMix64(seed: 2024)
    for _ in 0..<1500 {
      let length = Int(generator.next() % 14) + 1
      let text = (0..<length).map { _ in Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))] }.joined()
      let expected: [String]
      switch kind {
      case .qwen2: expected = try Self.regexPieces(Self.qwenPattern, text)
      case .gpt2: expected = try Self.regexPieces(Self.gpt2Pattern, text)
      case .smollm: expected = try Self.smollmRegexPieces(text)
      case .llama3: expected = try Self.regexPieces(Self.llama3Pattern, text)
      }
      let pieces = Self.scannerPieces(kind, text)
      #expect(pieces == expected, "\(kind) \(text.debugDescription)")
      if pieces != expected { return }
    }
  }
}
