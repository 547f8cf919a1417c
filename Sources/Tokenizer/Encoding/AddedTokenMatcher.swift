/// Finds added tokens (`<|im_start|>`, `<think>`) in raw text: at the leftmost
/// position where any matches, the longest one wins — Hugging Face's
/// leftmost-longest rule, so `<|im_end|>` is never cut into a shorter token.
struct AddedTokenMatcher: Sendable {
  /// Candidates by first byte, longest first. // [256][candidates]
  private let candidates: [[(bytes: [UInt8], id: Int32)]]
  /// Whether any added token starts with the byte: most text bytes are skipped on this alone. // [256]
  private let startsAToken: [Bool]

  init(_ tokens: [AddedToken]) {
    var byFirstByte = [[(bytes: [UInt8], id: Int32)]](repeating: [], count: 256)
    for token in tokens {
      let bytes = Array(token.content.utf8)
      guard let first = bytes.first else { continue }
      byFirstByte[Int(first)].append((bytes, token.id))
    }
    for index in byFirstByte.indices { byFirstByte[index].sort { $0.bytes.count > $1.bytes.count } }
    candidates = byFirstByte
    startsAToken = byFirstByte.map { !$0.isEmpty }
  }

  var isEmpty: Bool { !startsAToken.contains(true) }

  /// Calls `plain(start, end)` for each stretch of text between added tokens and
  /// `token(id)` for each added token, in text order.
  func split(_ text: UnsafeBufferPointer<UInt8>, plain: (Int, Int) -> Void, token: (Int32) -> Void) {
    var plainStart = 0
    var i = 0
    while i < text.count {
      guard startsAToken[Int(text[i])] else {
        i += 1
        continue
      }
      let options = candidates[Int(text[i])]
      var matched: (length: Int, id: Int32)? = nil
      for option in options where option.bytes.count <= text.count - i {
        if option.bytes.withUnsafeBufferPointer({ memcmpEqual($0, text, i) }) {
          matched = (option.bytes.count, option.id)
          break
        }
      }
      if let matched {
        if plainStart < i { plain(plainStart, i) }
        token(matched.id)
        i += matched.length
        plainStart = i
      } else {
        i += 1
      }
    }
    if plainStart < text.count { plain(plainStart, text.count) }
  }

  @inline(__always)
  private func memcmpEqual(_ needle: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
    for k in 0..<needle.count where needle[k] != text[at + k] { return false }
    return true
  }
}
