/// SHA-1 (FIPS 180-4), only to name Lua scripts the way Redis does (`EVALSHA` takes
/// the hex SHA-1 of the script's source). Not for anything security-related.
/// Written out here because Foundation on Linux has no CryptoKit and the package
/// takes no crypto dependency for one hash of a few hundred bytes.
enum SHA1 {
  static func hex(_ bytes: [UInt8]) -> String { hexString(digest(bytes)) }

  static func digest(_ bytes: [UInt8]) -> [UInt8] {
    var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
    let message = paddedMessage(bytes)

    var w = [UInt32](repeating: 0, count: 80)  // [80] message schedule of one block
    for blockStart in stride(from: 0, to: message.count, by: 64) {
      loadBlock(message, at: blockStart, into: &w)
      for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
      var (a, b, c, d, e) = h
      for i in 0..<80 {
        let f: UInt32
        let k: UInt32
        switch i {
        case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
        case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
        case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
        default: f = b ^ c ^ d; k = 0xCA62_C1D6
        }
        let temp = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
        (e, d, c, b, a) = (d, c, rotl(b, 30), a, temp)
      }
      h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
    }
    return bigEndianBytes([h.0, h.1, h.2, h.3, h.4])
  }

  private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
}
