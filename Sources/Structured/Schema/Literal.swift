import NightdeskSupport

/// Literal values of enum and const: the one text the decoder emits for each, JSON
/// Schema's equality (1 and 1.0 are the same number), and type membership.
enum Literal {
  /// Compact JSON (no whitespace at all), strings escaped as `JSONWriter` escapes them.
  static func text(_ value: JSONValue) -> String {
    var out = ""
    write(value, into: &out)
    return out
  }

  private static func write(_ value: JSONValue, into out: inout String) {
    switch value {
    case .string(let string): JSONWriter.writeString(string, into: &out)
    case .array(let items):
      out += "["
      for (index, item) in items.enumerated() {
        if index > 0 { out += "," }
        write(item, into: &out)
      }
      out += "]"
    case .object(let object):
      out += "{"
      for (index, pair) in object.pairs.enumerated() {
        if index > 0 { out += "," }
        JSONWriter.writeString(pair.key, into: &out)
        out += ":"
        write(pair.value, into: &out)
      }
      out += "}"
    default: JSONWriter.write(value, into: &out)
    }
  }

  static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    case (.object(let x), .object(let y)):
      return x.count == y.count && x.pairs.allSatisfy { pair in y[pair.key].map { equal(pair.value, $0) } ?? false }
    default: return a == b
    }
  }

  static func hasType(_ value: JSONValue, _ type: String) -> Bool {
    switch (type, value) {
    case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): return true
    case ("number", .int), ("number", .double), ("integer", .int): return true
    case ("integer", .double(let d)): return d.isFinite && d == d.rounded()
    default: return false
    }
  }
}
