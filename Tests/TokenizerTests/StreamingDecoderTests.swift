@testable import NightdeskTokenizer
import NightdeskSupport
import NightdeskTestSupport
import Testing

@Suite struct StreamingDecoderTests {
  /// Multi-byte text whose tokens end mid-character: token by token, no piece ever
  /// holds a replacement character, and the pieces add up to the text.
  @Test func neverEmitsHalfACharacter() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    let text = "营业收入同比增长12.3%，净利润为456.78亿元。👨‍👩‍👧‍👦 🇯🇵 こんにちは 𝐀𝐁𝐂 ½ ไทย"
    let ids = tokenizer.encode(text)
    var decoder = tokenizer.makeStreamingDecoder()
    var pieces: [String] = []
    for id in ids { pieces.append(decoder.append(id)) }
    pieces.append(decoder.finish())
    #expect(pieces.allSatisfy { !$0.unicodeScalars.contains("\u{FFFD}") })
    #expect(pieces.joined() == text)
    // Some token really did end inside a character, or this test proves nothing.
    #expect(pieces.contains(""))
  }

  /// Random byte boundaries (not just token ones), many times over.
  @Test func holdsTheIncompleteTailAtAnyByteSplit() {
    let text = "aé中😀\u{10FFFF}ß 𝔸𝔹 中文"
    let bytes = Array(text.utf8)
    var generator = SplitMix64(seed: 7)
    for _ in 0..<500 {
      var pending: [UInt8] = []
      var output = ""
      var index = 0
      while index < bytes.count {
        let step = Int(generator.next() % 4) + 1
        pending.append(contentsOf: bytes[index..<min(bytes.count, index + step)])
        index += step
        let end = StreamingDecoder.completePrefixLength(pending)
        let piece = String(decoding: pending[..<end], as: UTF8.self)
        #expect(!piece.unicodeScalars.contains("\u{FFFD}"))
        output += piece
        pending.removeFirst(end)
      }
      #expect(pending.isEmpty)
      #expect(output == text)
    }
  }

  @Test func invalidBytesAreNotHeldForever() {
    #expect(StreamingDecoder.completePrefixLength([0x61, 0xE4, 0xB8]) == 1)  // incomplete 中: held
    #expect(StreamingDecoder.completePrefixLength([0x61, 0xE0, 0x80]) == 3)  // overlong: emit
    #expect(StreamingDecoder.completePrefixLength([0x61, 0xFF]) == 2)
    #expect(StreamingDecoder.completePrefixLength([0x80, 0x80, 0x80, 0x80]) == 4)
  }

  @Test func finishFlushesAnIncompleteCharacterAsReplacement() throws {
    let tokenizer = try TokenizerFixtures.qwen()
    // The first token of a rare hieroglyph alone is an incomplete character.
    let firstToken = tokenizer.encode("\u{13000}")[0]
    try #require(tokenizer.decodeBytes([firstToken]).count < 4)
    var decoder = tokenizer.makeStreamingDecoder()
    _ = decoder.append(firstToken)
    #expect(decoder.finish().unicodeScalars.last == "\u{FFFD}")
  }
}
