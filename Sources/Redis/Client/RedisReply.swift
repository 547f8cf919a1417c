/// A RESP2 reply as a Swift value. hiredis' `redisReply` tree is copied into this
/// enum and freed before anything leaves the connection, so no C pointer escapes.
///
/// Bulk strings stay bytes: values may be binary (NUL bytes, compressed blobs), and
/// only the caller knows whether to decode them as UTF-8.
public enum RedisReply: Sendable, Equatable, Hashable {
  /// A simple string such as `OK` or `PONG`.
  case status(String)
  /// An error reply such as `WRONGTYPE Operation against a key holding the wrong kind of value`.
  /// `RedisConnection.command` throws these as `RedisError.serverError`; they appear as
  /// values only inside pipelines, transactions (`EXEC`) and script results.
  case error(String)
  case integer(Int64)
  /// A bulk string, binary-safe.
  case bulk([UInt8])
  /// The nil bulk string or nil array (missing key, `BLPOP` timeout).
  case null
  case array([RedisReply])

  /// The text of a status or bulk string reply (bulk decoded as UTF-8, invalid bytes
  /// replaced), or the decimal text of an integer.
  public var string: String? {
    switch self {
    case .status(let text): return text
    case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .integer(let value): return String(value)
    case .error, .null, .array: return nil
    }
  }

  /// The bytes of a bulk string, or the UTF-8 of a status.
  public var bytes: [UInt8]? {
    switch self {
    case .bulk(let bytes): return bytes
    case .status(let text): return Array(text.utf8)
    default: return nil
    }
  }

  /// An integer reply, or a bulk/status string holding a decimal integer (Redis returns
  /// numbers as strings from `GET`, `HGET`, `INCRBYFLOAT`'s siblings, ...).
  public var int: Int64? {
    switch self {
    case .integer(let value): return value
    case .bulk, .status: return string.flatMap { Int64($0) }
    default: return nil
    }
  }

  public var array: [RedisReply]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  public var isNull: Bool { self == .null }

  /// The error text if this is an error reply.
  public var errorMessage: String? {
    if case .error(let text) = self { return text }
    return nil
  }

  /// A short rendering for logs and the CLI; bulk strings that are not printable
  /// text are shown by size only.
  public var summary: String {
    switch self {
    case .status(let text): return text
    case .error(let text): return "(error) \(text)"
    case .integer(let value): return "(integer) \(value)"
    case .null: return "(nil)"
    case .bulk(let bytes):
      if bytes.count <= 200, let text = String(validating: bytes, as: UTF8.self),
         text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" || $0 == "\t" }) {
        return "\"\(text)\""
      }
      return "(\(bytes.count) bytes)"
    case .array(let elements):
      return "[" + elements.prefix(10).map(\.summary).joined(separator: ", ")
        + (elements.count > 10 ? ", … \(elements.count - 10) more]" : "]")
    }
  }
}
