import NightdeskSupport
import Yams

/// A job type's output JSON Schema, in the strict subset Nightdesk accepts (and a
/// constrained decoder can enforce): objects with `properties`, `required` and
/// `additionalProperties: false`; arrays with `items` and `maxItems`; strings with
/// `enum` and `maxLength`; numbers, integers, booleans; `description` anywhere. Any
/// other keyword is refused by name.
public indirect enum OutputSchema: Sendable, Equatable {
  public struct Property: Sendable, Equatable {
    public var name: String
    public var schema: OutputSchema
    public var description: String?
  }

  case object(properties: [Property], required: [String])
  case array(items: OutputSchema, maxItems: Int?)
  case string(allowed: [String]?, maxLength: Int?)
  case number
  case integer
  case boolean

  static let keywords: [String: Set<String>] = [
    "object": ["type", "properties", "required", "additionalProperties", "description"],
    "array": ["type", "items", "maxItems", "description"],
    "string": ["type", "enum", "maxLength", "description"],
    "number": ["type", "description"],
    "integer": ["type", "description"],
    "boolean": ["type", "description"],
  ]

  /// The schema in `node`; errors name the file and the schema path (`output_schema.properties.risks.items`).
  static func parse(_ node: Node, file: String, path: String, depth: Int = 0) throws(JobTypeError) -> OutputSchema {
    guard depth < 16 else { throw JobTypeError(file: file, field: path, line: YAMLFields.line(node), reason: "nests deeper than 16 levels") }
    var fields = try YAMLFields(node, file: file, path: path)
    let type = try fields.string("type")
    guard let allowed = keywords[type] else {
      throw fields.error("type", "unsupported type \"\(type)\" (supported: array, boolean, integer, number, object, string)")
    }
    if let unknown = fields.keys.first(where: { !allowed.contains($0) }) {
      throw fields.error(unknown, "unsupported keyword \"\(unknown)\" for type \(type) (supported: \(allowed.sorted().joined(separator: ", ")))")
    }
    _ = try fields.optionalString("description")
    switch type {
    case "object":
      var properties: [Property] = []
      var props = try fields.mapping("properties")
      for name in props.keys {
        let child = try props.required(name)
        let description = try YAMLFields(child, file: file, path: props.field(name)).value("description")?.scalar?.string
        properties.append(Property(name: name, schema: try parse(child, file: file, path: props.field(name), depth: depth + 1),
                                   description: description))
      }
      guard !properties.isEmpty else { throw fields.error("properties", "an object needs at least one property") }
      let requiredNode = try fields.required("required")
      guard let list = requiredNode.sequence else { throw fields.error("required", "expected a list of property names") }
      var required: [String] = []
      for item in list {
        guard let name = item.scalar?.string, properties.contains(where: { $0.name == name }) else {
          throw fields.error("required", "\(YAMLFields.kind(item)) is not one of the properties", at: item)
        }
        required.append(name)
      }
      let extra = try fields.required("additionalProperties")
      guard extra.scalar?.string == "false" else {
        throw fields.error("additionalProperties", "must be false (outputs are strict)", at: extra)
      }
      return .object(properties: properties, required: required)
    case "array":
      let items = try parse(try fields.required("items"), file: file, path: fields.field("items"), depth: depth + 1)
      let maxItems = fields.value("maxItems") == nil ? nil : try fields.int("maxItems", in: 1...10_000)
      return .array(items: items, maxItems: maxItems)
    case "string":
      var allowedValues: [String]?
      if let list = fields.optional("enum") {
        guard let items = list.sequence, !items.isEmpty else { throw fields.error("enum", "expected a non-empty list of strings") }
        allowedValues = try items.map { (item: Node) throws(JobTypeError) -> String in
          guard let value = item.scalar?.string else { throw fields.error("enum", "expected strings", at: item) }
          return value
        }
      }
      let maxLength = fields.value("maxLength") == nil ? nil : try fields.int("maxLength", in: 1...1_000_000)
      return .string(allowed: allowedValues, maxLength: maxLength)
    case "number": return .number
    case "integer": return .integer
    default: return .boolean
    }
  }

  /// The schema as JSON (for `response_format`, prompts and reports).
  public var json: JSONValue {
    switch self {
    case .object(let properties, let required):
      var object = JSONObject()
      for property in properties {
        var schema = property.schema.json
        if let description = property.description, case .object(var fields) = schema {
          fields["description"] = .string(description)
          schema = .object(fields)
        }
        object[property.name] = schema
      }
      return ["type": "object", "properties": .object(object), "required": .array(required.map { .string($0) }),
              "additionalProperties": false]
    case .array(let items, let maxItems):
      var object = JSONObject(["type": "array", "items": items.json])
      if let maxItems { object["maxItems"] = .int(Int64(maxItems)) }
      return .object(object)
    case .string(let allowed, let maxLength):
      var object = JSONObject(["type": "string"])
      if let allowed { object["enum"] = .array(allowed.map { .string($0) }) }
      if let maxLength { object["maxLength"] = .int(Int64(maxLength)) }
      return .object(object)
    case .number: return ["type": "number"]
    case .integer: return ["type": "integer"]
    case .boolean: return ["type": "boolean"]
    }
  }

  /// Where `value` breaks the schema, as `$.path: reason` lines (empty when it conforms).
  public func violations(of value: JSONValue, at path: String = "$") -> [String] {
    switch (self, value) {
    case (.object(let properties, let required), .object(let object)):
      var problems: [String] = []
      for name in required where object[name] == nil { problems.append("\(path): missing \"\(name)\"") }
      for (key, child) in object.pairs {
        guard let property = properties.first(where: { $0.name == key }) else {
          problems.append("\(path): unexpected \"\(key)\"")
          continue
        }
        problems += property.schema.violations(of: child, at: "\(path).\(key)")
      }
      return problems
    case (.array(let items, let maxItems), .array(let elements)):
      var problems: [String] = []
      if let maxItems, elements.count > maxItems { problems.append("\(path): \(elements.count) items, at most \(maxItems)") }
      for (index, element) in elements.enumerated() { problems += items.violations(of: element, at: "\(path)[\(index)]") }
      return problems
    case (.string(let allowed, let maxLength), .string(let text)):
      if let allowed, !allowed.contains(text) { return ["\(path): \"\(text.prefix(40))\" is not one of \(allowed)"] }
      if let maxLength, text.count > maxLength { return ["\(path): \(text.count) characters, at most \(maxLength)"] }
      return []
    case (.number, .int), (.number, .double), (.integer, .int), (.boolean, .bool):
      return []
    default:
      return ["\(path): expected \(typeName), found \(value.kindName)"]
    }
  }

  var typeName: String {
    switch self {
    case .object: return "object"
    case .array: return "array"
    case .string: return "string"
    case .number: return "number"
    case .integer: return "integer"
    case .boolean: return "boolean"
    }
  }
}
