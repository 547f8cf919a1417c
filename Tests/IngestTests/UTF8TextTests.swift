@testable import NightdeskIngest
import Testing

/// The strict UTF-8 check that names the first bad byte, against Swift's own decoder.
@Suite struct UTF8TextTests {
  @Test func namesTheFirstBadByte() {
    #expect(UTF8Text.firstInvalidOffset(Array("Harrowgate — £412m 日本 🍞".utf8)) == nil)
    #expect(UTF8Text.firstInvalidOffset([0x41, 0xC0, 0x80]) == 1)        // overlong NUL
    #expect(UTF8Text.firstInvalidOffset([0xE0, 0x80, 0x80]) == 0)        // overlong
    #expect(UTF8Text.firstInvalidOffset([0x41, 0xED, 0xA0, 0x80]) == 1)  // a surrogate
    #expect(UTF8Text.firstInvalidOffset([0xF4, 0x90, 0x80, 0x80]) == 0)  // above U+10FFFF
    #expect(UTF8Text.firstInvalidOffset([0x41, 0x42, 0xE2, 0x82]) == 2)  // cut off at the end
    #expect(UTF8Text.firstInvalidOffset([0x80]) == 0)                    // a lone continuation byte
    #expect(UTF8Text.firstInvalidOffset([0xE2, 0x28, 0xA1]) == 0)        // a bad continuation byte
  }

  @Test func agreesWithSwiftOnRandomBytes() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      let count = Int.random(in: 0...12, using: &generator)
      // Mostly bytes from UTF-8's interesting ranges, so that valid sequences occur too.
      let pool: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xA0, 0xED, 0x9F, 0xEF, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF]
      let bytes = (0..<count).map { _ in pool.randomElement(using: &generator)! }
      let valid = String(validating: bytes, as: UTF8.self) != nil
      #expect((UTF8Text.firstInvalidOffset(bytes) == nil) == valid, "\(bytes.map { String($0, radix: 16) })")
    }
  }

  @Test func streamingGivesTheSameDocumentsAsTheResult() {
    let reader = DocumentReader()
    for name in ["social-novapay-2026-11-27.json", "social-novapay-2026-11-27.jsonl", "news-2026-11-27.jsonl", "news-2026-11-27.rss"] {
      let path = IngestFixtures.sample(name)
      var streamed: [Document] = []
      let errors = reader.read(path) { streamed.append($0) }
      let whole = reader.read(path)
      #expect(streamed == whole.documents && errors == whole.errors, "\(name)")
      #expect(!streamed.isEmpty)
    }
  }
}
