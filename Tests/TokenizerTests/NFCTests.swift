import NightdeskSupport
import Foundation
@testable import NightdeskTokenizer
import NightdeskTestSupport
import Testing

/// The stretch-wise NFC against Foundation's NFC of the whole text, on random text
/// built from what composes, decomposes or reorders (and ASCII to cut at).
@Suite struct NFCTests {
  static let alphabet: [String] = [
    "a", "e", "o", "A", " ", "<", ">", ";", "\n", "é", "ß", "\u{0301}", "\u{0300}", "\u{0323}", "\u{0338}",
    "\u{0327}", "\u{037E}", "\u{212B}", "\u{2126}", "\u{1100}", "\u{1161}", "\u{11A8}", "\u{AC00}", "\u{0915}",
    "\u{093C}", "\u{0BC6}", "\u{0BBE}", "\u{F900}", "\u{1E9B}", "\u{0344}", "中", "😀", "\u{00A8}", "\u{0CC6}",
    "\u{0CD5}", "\u{05B8}", "\u{05B7}",
  ]

  @Test func matchesFoundationOnWholeTexts() {
    var generator = SplitMix64(seed: 11)
    for _ in 0..<3000 {
      let length = Int(generator.next() % 12) + 1
      let text = (0..<length).map { _ in Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))] }.joined()
      let expected = Array(text.precomposedStringWithCanonicalMapping.utf8)
      #expect(NFC.utf8(of: text) == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }
  }

  @Test func leavesTextBelowU0300Alone() {
    let text = "Plain ASCII and Latin-1: café, naïve, Ærø"
    #expect(NFC.utf8(of: text) == Array(text.utf8))
  }
}
