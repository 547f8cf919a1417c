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
    var pendingStart: Int? = nil  // start of stretches that need normalizing, not yet written
    var i = 0
    while i < input.count {
      // A stretch: one byte (ASCII unless at the very start), then non-ASCII bytes up to the next ASCII.
      var end = i + 1
      var needsWork = input[i] >= 0xCC
      while end < input.count, input[end] >= 0x80 {
        if input[end] >= 0xCC { needsWork = true }
        end += 1
      }
      if needsWork {
        if pendingStart == nil { pendingStart = i }
      } else {
        if let start = pendingStart { normalize(input[start..<i], into: &output) }
        pendingStart = nil
        output.append(contentsOf: input[i..<end])
      }
      i = end
    }
    if let start = pendingStart { normalize(input[start...], into: &output) }
    return output
  }

  private static func normalize(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
    output.append(contentsOf: String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
  }
}
