import CJansson

/// Why a JSON document was rejected, and where (1-based line and column, byte offset).
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var line: Int
  public var column: Int
  public var position: Int

  public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
}

/// Strict JSON parsing through jansson: faster than Foundation on multi-megabyte
/// files (tokenizer.json) and strict where Foundation is loose (duplicate keys
/// are rejected, NaN is rejected, strings must be valid UTF-8). NUL bytes inside
/// strings are allowed, as JSON permits them.
public enum JSONParser {
  /// Documents deeper than this are rejected: jansson recurses per level.
  public static let maximumDepth = 512

  public static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
    let flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL
    var error = json_error_t()
    let root: UnsafeMutablePointer<json_t>? = bytes.withContiguousStorageIfAvailable { buffer in
      buffer.withMemoryRebound(to: CChar.self) { json_loadb($0.baseAddress, $0.count, Int(flags), &error) }
    } ?? Array(bytes).withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { json_loadb($0.baseAddress, $0.count, Int(flags), &error) }
    }
    guard let root else {
      let text = withUnsafeBytes(of: &error.text) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      throw JSONParseError(message: text, line: Int(error.line), column: Int(error.column), position: Int(error.position))
    }
    defer { json_decref(root) }
    return try convert(root, depth: 0)
  }

  public static func parse(_ text: String) throws -> JSONValue {
    try parse(Array(text.utf8))
  }

  private static func convert(_ node: UnsafeMutablePointer<json_t>, depth: Int) throws -> JSONValue {
    guard depth < maximumDepth else {
      throw JSONParseError(message: "nesting deeper than \(maximumDepth) levels", line: 0, column: 0, position: 0)
    }
    switch node.pointee.type {
    case JSON_NULL: return .null
    case JSON_TRUE: return .bool(true)
    case JSON_FALSE: return .bool(false)
    case JSON_INTEGER: return .int(Int64(json_integer_value(node)))
    case JSON_REAL: return .double(json_real_value(node))
    case JSON_STRING:
      let length = json_string_length(node)
      guard let pointer = json_string_value(node) else { return .string("") }
      return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        .string(String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self))
      }
    case JSON_ARRAY:
      let count = json_array_size(node)
      var items: [JSONValue] = []
      items.reserveCapacity(count)
      for index in 0..<count {
        items.append(try convert(json_array_get(node, index)!, depth: depth + 1))
      }
      return .array(items)
    case JSON_OBJECT:
      var object = JSONObject()
      // jansson keeps insertion order for iteration.
      var iterator = json_object_iter(node)
      while let current = iterator {
        let key = String(cString: json_object_iter_key(current))
        object[key] = try convert(json_object_iter_value(current)!, depth: depth + 1)
        iterator = json_object_iter_next(node, current)
      }
      return .object(object)
    default:
      return .null
    }
  }
}
