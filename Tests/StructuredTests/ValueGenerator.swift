import NightdeskSupport
import NightdeskTestSupport

/// Random values valid against the test schemas, written the way the decoder may write
/// them (properties in schema order), from the schema document itself: an oracle that
/// shares no code with the compiler.
struct ValueGenerator {
  let root: JSONValue
  var random: SplitMix64

  /// NFC text only, so that a tokenizer that normalizes keeps the bytes.
  static let pieces = ["a", "Acme", " ", "é", "日本", "😀", "\"", "\\", "\n", "\t", "\u{01}", "x y", "/", "Ω", "1"]

  mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(max(bound, 1))) }
  mutating func chance() -> Bool { random.next() & 1 == 0 }

  mutating func value(_ schema: JSONValue) -> JSONValue {
    if let reference = schema["$ref"]?.stringValue {
      var target = root
      for key in reference.dropFirst(2).split(separator: "/") { target = target[String(key)]! }
      return value(target)
    }
    if let constant = schema["const"] { return constant }
    if let options = schema["enum"]?.arrayValue { return options[below(options.count)] }
    if let options = schema["anyOf"]?.arrayValue { return value(options[below(options.count)]) }
    var type = schema["type"]?.stringValue ?? "null"
    if let types = schema["type"]?.arrayValue { type = types[below(types.count)].stringValue! }
    switch type {
    case "object":
      var object = JSONObject()
      let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
      for (name, property) in schema["properties"]?.objectValue?.pairs ?? [] where required.contains(name) || chance() {
        object[name] = value(property)
      }
      return .object(object)
    case "array":
      let low = schema["minItems"]?.intValue ?? 0
      let high = schema["maxItems"]?.intValue ?? low + 3
      return .array((0..<(low + below(high - low + 1))).map { _ in value(schema["items"]!) })
    case "string":
      let low = schema["minLength"]?.intValue ?? 0
      let high = schema["maxLength"]?.intValue ?? 30
      let target = low + below(high - low + 1)
      var text = ""
      while text.unicodeScalars.count < target {
        let piece = Self.pieces[below(Self.pieces.count)]
        if text.unicodeScalars.count + piece.unicodeScalars.count <= target { text += piece } else { text += "z" }
      }
      return .string(text)
    case "integer": return .int(Int64(below(2_000_000)) - 1_000_000)
    case "number": return .double(Double(Int64(below(2_000_000_000)) - 1_000_000_000) / 1000)
    case "boolean": return .bool(chance())
    default: return .null
    }
  }
}
