import NightdeskSupport

/// What shape the answer must take, as OpenAI's `response_format` says it: free text,
/// or JSON valid against a schema (which the engine enforces while decoding; the
/// schema subset is the structured-output module's to check).
public enum ResponseFormat: Sendable, Equatable, Hashable {
  case text
  case jsonSchema(name: String, schema: JSONValue)

  /// A schema document bounds what one request carries into Redis and the compiler.
  public static let maxSchemaBytes = 64 << 10

  public var json: JSONValue {
    switch self {
    case .text:
      return .object(JSONObject(["type": .string("text")]))
    case .jsonSchema(let name, let schema):
      return .object(JSONObject([
        "type": .string("json_schema"),
        "json_schema": .object(JSONObject(["name": .string(name), "schema": schema, "strict": .bool(true)])),
      ]))
    }
  }

  /// Reads `{"type": "text"}` or `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`.
  /// `json_object` (any JSON) is refused: without a schema there is nothing to hold the answer to.
  public init(json: JSONValue, at path: String) throws(RequestError) {
    guard let object = json.objectValue else { throw RequestError(path, "must be an object, found \(json.kindName)") }
    switch object["type"]?.stringValue {
    case "text"?:
      self = .text
    case "json_schema"?:
      guard let spec = object["json_schema"]?.objectValue else {
        throw RequestError("\(path).json_schema", "is missing or not an object")
      }
      let name = spec["name"]?.stringValue ?? "response"
      guard !name.isEmpty, name.utf8.count <= 64 else { throw RequestError("\(path).json_schema.name", "must be 1...64 bytes") }
      guard let schema = spec["schema"], schema.objectValue != nil else {
        throw RequestError("\(path).json_schema.schema", "is missing or not an object")
      }
      if let strict = spec["strict"], strict.boolValue == false {
        throw RequestError("\(path).json_schema.strict", "must be true: answers are always held to the schema")
      }
      guard JSONWriter.string(schema).utf8.count <= Self.maxSchemaBytes else {
        throw RequestError("\(path).json_schema.schema", "is larger than \(Self.maxSchemaBytes) bytes")
      }
      self = .jsonSchema(name: name, schema: schema)
    case "json_object"?:
      throw RequestError("\(path).type", "'json_object' is not supported; give a json_schema")
    case let other:
      throw RequestError("\(path).type", "is \(other.map { "'\($0)'" } ?? "missing"); expected text or json_schema")
    }
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(JSONWriter.string(json)) }

  /// The schema, when the answer must be JSON.
  public var schema: JSONValue? {
    if case .jsonSchema(_, let schema) = self { return schema }
    return nil
  }
}
