import NightdeskRequests
/// Names the prefix a job's requests share (system prompt and document), so that
/// workers holding it in their KV cache can prefer the job.
///
/// FNV-1a over the messages' roles and contents, with lengths mixed in so that
/// moving text between messages changes the hash. 64 bits: a collision costs only
/// a wrong preference, never a wrong answer, so no cryptographic hash is needed.
public enum PrefixHash {
  /// The leading messages every request of the job shares; for a single request,
  /// all but its last message (the question).
  public static func sharedPrefix(of requests: [ChatRequest]) -> [ChatMessage] {
    guard let first = requests.first else { return [] }
    var length = first.messages.count - 1
    for request in requests.dropFirst() {
      var common = 0
      let limit = min(length, request.messages.count - 1)
      while common < limit, request.messages[common] == first.messages[common] { common += 1 }
      length = common
    }
    return Array(first.messages.prefix(max(0, length)))
  }

  /// 16 hex digits; "" when there is no shared prefix.
  public static func of(_ messages: [ChatMessage]) -> String {
    guard !messages.isEmpty else { return "" }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ byte: UInt8) {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    func mix(_ value: Int) { for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: value >> shift)) } }
    for message in messages {
      mix(message.role.rawValue.utf8.count)
      for byte in message.role.rawValue.utf8 { mix(byte) }
      mix(message.content.utf8.count)
      for byte in message.content.utf8 { mix(byte) }
    }
    return hex(hash)
  }

  /// FNV-1a of `text`, 16 hex digits: a short, stable name for a template or a file's identity.
  public static func digest(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return hex(hash)
  }

  private static func hex(_ hash: UInt64) -> String {
    let text = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
  }
}
