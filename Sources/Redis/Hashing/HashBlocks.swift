/// What SHA-1 and SHA-256 share (FIPS 180-4): the padding of a message into 64-byte
/// blocks, the reading of a block as big-endian words, and the digest's hex.

/// SHA-1's and SHA-256's padding: a 1 bit, zeros to 56 mod 64 bytes, then the bit length big-endian.
func paddedMessage(_ bytes: [UInt8]) -> [UInt8] {
  var message = bytes
  message.append(0x80)
  while message.count % 64 != 56 { message.append(0) }
  let bitLength = UInt64(bytes.count) &* 8
  for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
  return message
}

/// Lower-case hex, two digits a byte.
func hexString(_ digest: [UInt8]) -> String {
  digest.map { byte in
    let text = String(byte, radix: 16)
    return byte < 16 ? "0" + text : text
  }.joined()
}

/// The 16 big-endian words of the 64-byte block at `start`, into `w[0..<16]`.
func loadBlock(_ message: [UInt8], at start: Int, into w: inout [UInt32]) {
  for i in 0..<16 {
    let j = start + i * 4
    w[i] = UInt32(message[j]) << 24 | UInt32(message[j + 1]) << 16 | UInt32(message[j + 2]) << 8 | UInt32(message[j + 3])
  }
}

func bigEndianBytes(_ words: [UInt32]) -> [UInt8] {
  words.flatMap { word in
    [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
  }
}
