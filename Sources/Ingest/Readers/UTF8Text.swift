/// Strict UTF-8 decoding that says where the first bad byte is, so an error can
/// name it (Swift's `String(decoding:)` would silently put U+FFFD there instead).
enum UTF8Text {
  /// The text of `bytes`, or the offset of the first byte that is not valid UTF-8
  /// (overlong forms, surrogates and code points above U+10FFFF are invalid).
  static func decode(_ bytes: [UInt8]) -> Result<String, InvalidUTF8> {
    if let offset = firstInvalidOffset(bytes) { return .failure(InvalidUTF8(offset: offset)) }
    let text = String(decoding: bytes, as: UTF8.self)
    // A byte-order mark is not text.
    return .success(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
  }

  struct InvalidUTF8: Error {
    var offset: Int
  }

  /// The offset of the first byte of `bytes` that is not valid UTF-8, nil when all are.
  static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
    bytes.withUnsafeBufferPointer { firstInvalidOffset($0) }
  }

  static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    let count = bytes.count
    var offset = 0
    while offset < count {
      let lead = bytes[offset]
      if lead < 0x80 {
        offset += 1
        continue
      }
      // How many continuation bytes the lead byte needs, and the range of the first one.
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
      default: return offset
      }
      // A sequence cut off by the end of the bytes is invalid at its lead byte.
      guard offset + needed < count else { return offset }
      for index in 1...needed {
        let next = bytes[offset + index]
        let (min, max) = index == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
        guard next >= min, next <= max else { return offset }
      }
      offset += needed + 1
    }
    return nil
  }
}
