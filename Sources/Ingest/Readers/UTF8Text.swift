/// Strict UTF-8 decoding that says where the first bad byte is, so an error can
/// name it (Swift's `String(decoding:)` would silently put U+FFFD there instead).
enum UTF8Text {
  /// The text of `bytes`, or the offset of the first byte that is not valid UTF-8
  /// (overlong forms, surrogates and code points above U+10FFFF are invalid).
  static func decode(_ bytes: some Collection<UInt8>) -> Result<String, InvalidUTF8> {
    if let offset = firstInvalidOffset(bytes) { return .failure(InvalidUTF8(offset: offset)) }
    let text = String(decoding: bytes, as: UTF8.self)
    // A byte-order mark is not text.
    return .success(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
  }

  struct InvalidUTF8: Error {
    var offset: Int
  }

  static func firstInvalidOffset(_ bytes: some Collection<UInt8>) -> Int? {
    var offset = 0
    var iterator = bytes.makeIterator()
    // [the sequence's first byte, how many continuation bytes it needs, min/max of the second byte]
    while let lead = iterator.next() {
      let start = offset
      offset += 1
      if lead < 0x80 { continue }
      let needed: Int
      var low: UInt8 = 0x80, high: UInt8 = 0xBF
      switch lead {
      case 0xC2...0xDF: needed = 1
      case 0xE0: needed = 2; low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: needed = 2
      case 0xED: needed = 2; high = 0x9F  // no UTF-16 surrogates
      case 0xF0: needed = 3; low = 0x90
      case 0xF1...0xF3: needed = 3
      case 0xF4: needed = 3; high = 0x8F  // nothing above U+10FFFF
      default: return start
      }
      for index in 0..<needed {
        guard let next = iterator.next() else { return start }
        offset += 1
        let (lo, hi) = index == 0 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
        guard next >= lo, next <= hi else { return start }
      }
    }
    return nil
  }
}
