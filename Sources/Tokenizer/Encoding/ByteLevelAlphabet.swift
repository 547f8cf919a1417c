/// GPT-2's reversible byte ↔ printable-character mapping (`bytes_to_unicode`).
///
/// Byte-level BPE files store every token as text in this alphabet so that a
/// token made of arbitrary bytes (half a UTF-8 character, a control byte) is
/// still a printable JSON string: printable Latin-1 bytes stand for themselves
/// and the other 68 bytes are shifted to U+0100…U+0143 (space becomes `Ġ`).
/// Nightdesk converts the vocabulary to raw bytes once at load time, so
/// encoding works directly on UTF-8 and never maps characters per token.
enum ByteLevelAlphabet {
  /// byte → the scalar that stands for it in token strings.
  static let scalarForByte: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: "\0", count: 256)
    var shifted: UInt32 = 256
    for byte in 0..<256 {
      if isPrintedAsItself(byte) {
        table[byte] = Unicode.Scalar(UInt8(byte))
      } else {
        table[byte] = Unicode.Scalar(shifted)!
        shifted += 1
      }
    }
    return table
  }()

  /// scalar value → byte, or -1 for scalars outside the alphabet; covers U+0000…U+0143.
  static let byteForScalar: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
    return table
  }()

  private static func isPrintedAsItself(_ byte: Int) -> Bool {
    (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
  }

  /// The raw bytes a vocabulary token string stands for. Scalars outside the
  /// alphabet (never present in a well-formed byte-level vocabulary) are kept as
  /// their own UTF-8 so that a stray token still decodes to something readable.
  static func bytes(ofToken token: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(token.utf8.count)
    for scalar in token.unicodeScalars {
      let value = Int(scalar.value)
      if value < byteForScalar.count, byteForScalar[value] >= 0 {
        out.append(UInt8(byteForScalar[value]))
      } else {
        out.append(contentsOf: String(scalar).utf8)
      }
    }
    return out
  }

  /// Token string for raw bytes (the inverse of `bytes(ofToken:)` on the alphabet).
  static func token(forBytes bytes: some Sequence<UInt8>) -> String {
    var out = String.UnicodeScalarView()
    for byte in bytes { out.append(scalarForByte[Int(byte)]) }
    return String(out)
  }
}
