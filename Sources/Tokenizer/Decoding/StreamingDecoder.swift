/// Turns tokens arriving one at a time into text without ever emitting half a
/// UTF-8 character: a token may end in the middle of a character (Chinese,
/// emoji), so the incomplete tail is held back until the next token completes it.
/// The emitted pieces concatenate to exactly what `decode` gives for all tokens.
public struct StreamingDecoder: Sendable {
  private let tokenizer: Tokenizer
  private let skipSpecialTokens: Bool
  private var pending: [UInt8] = []

  init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
    self.tokenizer = tokenizer
    self.skipSpecialTokens = skipSpecialTokens
  }

  /// The text completed by `id` (possibly empty).
  public mutating func append(_ id: Int32) -> String {
    tokenizer.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &pending)
    let end = Self.completePrefixLength(pending)
    guard end > 0 else { return "" }
    let text = String(decoding: pending[..<end], as: UTF8.self)
    pending.removeFirst(end)
    return text
  }

  /// Whatever is held back, with U+FFFD for a character that never completed.
  public mutating func finish() -> String {
    defer { pending.removeAll() }
    return String(decoding: pending, as: UTF8.self)
  }

  /// Bytes that can be emitted now: all but a trailing valid-but-incomplete
  /// UTF-8 sequence. Invalid bytes are not held (they can never complete).
  static func completePrefixLength(_ bytes: [UInt8]) -> Int {
    var lead = bytes.count - 1
    while lead >= 0, lead >= bytes.count - 3, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
    guard lead >= 0, lead >= bytes.count - 3 else { return bytes.count }
    let first = bytes[lead]
    let needed: Int
    switch first {
    case 0xC2...0xDF: needed = 2
    case 0xE0...0xEF: needed = 3
    case 0xF0...0xF4: needed = 4
    default: return bytes.count
    }
    let have = bytes.count - lead
    guard have < needed else { return bytes.count }
    if have >= 2 {
      // The second byte's range depends on the lead (no overlongs, surrogates or > U+10FFFF).
      let second = bytes[lead + 1]
      let valid: ClosedRange<UInt8>
      switch first {
      case 0xE0: valid = 0xA0...0xBF
      case 0xED: valid = 0x80...0x9F
      case 0xF0: valid = 0x90...0xBF
      case 0xF4: valid = 0x80...0x8F
      default: valid = 0x80...0xBF
      }
      guard valid.contains(second) else { return bytes.count }
    }
    return lead
  }
}
