/// Compact JSON text from a `JSONValue`, keys in the object's own order.
/// Doubles are written in Swift's shortest round-trip form, so a float32 widened to
/// double prints the same digits Python prints for it.
public enum JSONWriter {
  public static func string(_ value: JSONValue) -> String {
    var out = ""
    write(value, into: &out)
    return out
  }

  public static func write(_ value: JSONValue, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d):
      if d.isFinite {
        if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)); out += ".0" } else { out += String(d) }
      } else {
        out += "null"  // JSON has no NaN or infinity.
      }
    case .string(let s): writeString(s, into: &out)
    case .array(let items):
      out += "["
      for (index, item) in items.enumerated() {
        if index > 0 { out += ", " }
        write(item, into: &out)
      }
      out += "]"
    case .object(let object):
      out += "{"
      for (index, pair) in object.pairs.enumerated() {
        if index > 0 { out += ", " }
        writeString(pair.key, into: &out)
        out += ": "
        write(pair.value, into: &out)
      }
      out += "}"
    }
  }

  public static func writeString(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}
