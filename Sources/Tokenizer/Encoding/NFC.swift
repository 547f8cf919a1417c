import Foundation

/// Unicode NFC, paying for Foundation's normalizer only around the characters
/// that may need it. English with the odd curly quote or accent is mostly
/// ASCII, and normalizing all of it costs more than tokenizing it.
///
/// Why cutting the text is safe: a cut is made only just before an ASCII byte.
/// ASCII scalars have combining class 0 (so canonical reordering never moves
/// anything across them) and are never the second scalar of a canonical
/// composition (so nothing before the cut composes with what follows it).
/// Scalars below U+0300 (UTF-8 bytes below 0xCC) are NFC already and none
/// composes with a neighbour except as the starter of a following combining
/// mark, which then lies in the same stretch; so only stretches holding a byte
/// ≥ 0xCC go through Foundation.
enum NFC {
  static func utf8(of text: String) -> [UInt8] {
    let input = Array(text.utf8)
    guard input.contains(where: { $0 >= 0xCC }) else { return input }
    var output: [UInt8] = []
    output.reserveCapacity(input.count + input.count / 8)
    var written = 0  // input before this is in output
    var pendingStart: Int? = nil  // start of stretches that need normalizing, not yet written
    input.withUnsafeBufferPointer { bytes in
      var i = 0
      while i < bytes.count {
        // A stretch: one byte (ASCII unless at the very start), then non-ASCII bytes up to the next ASCII.
        var end = i + 1
        var needsWork = bytes[i] >= 0xCC
        while end < bytes.count, bytes[end] >= 0x80 {
          if bytes[end] >= 0xCC { needsWork = true }
          end += 1
        }
        if needsWork, pendingStart == nil {
          output.append(contentsOf: bytes[written..<i])
          pendingStart = i
        } else if !needsWork, let start = pendingStart {
          normalize(bytes[start..<i], into: &output)
          written = i
          pendingStart = nil
        }
        i = end
      }
      if let start = pendingStart {
        normalize(bytes[start...], into: &output)
      } else {
        output.append(contentsOf: bytes[written...])
      }
    }
    return output
  }

  private static func normalize(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, into output: inout [UInt8]) {
    output.append(contentsOf: String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
  }
}
