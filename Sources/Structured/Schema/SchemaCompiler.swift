import NightdeskSupport

/// Turns a JSON Schema (the supported subset, see `StructuredSchema`) into a `Grammar`,
/// refusing anything outside the subset with the keyword and its path. One pass over the
/// schema; `$ref`s are compiled once each and shared.
struct SchemaCompiler {
  static let maximumDepth = 32
  static let maximumProperties = 64
  /// Keywords that only describe: read past, never enforced.
  static let annotations: Set<String> = [
    "title", "description", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly",
    "writeOnly", "$defs", "definitions",
  ]
  static let keywordsByType: [String: Set<String>] = [
    "object": ["properties", "required", "additionalProperties"],
    "array": ["items", "minItems", "maxItems"],
    "string": ["minLength", "maxLength"],
    "number": [], "integer": [], "boolean": [], "null": [],
  ]
  static let structural: Set<String> = ["type", "enum", "const", "anyOf", "oneOf", "$ref"]
  static let known: Set<String> = annotations.union(structural).union(keywordsByType.values.joined())

  let document: JSONValue
  var grammar = Grammar()
  private var compiledRefs: [String: Int32] = [:]
  private var resolving: Set<String> = []

  init(document: JSONValue) { self.document = document }

  mutating func compileRoot() throws(SchemaError) -> Grammar {
    grammar.root = try compile(document, path: "$", depth: 0)
    grammar.shortest = ShortestTexts(grammar)
    return grammar
  }

  private func fail(_ code: SchemaError.Code, _ path: String, _ message: String = "") -> SchemaError {
    SchemaError(code: code, path: path, message: message)
  }

  private mutating func append(_ node: Grammar.Node) -> Int32 {
    grammar.nodes.append(node)
    return Int32(grammar.nodes.count - 1)
  }

  mutating func compile(_ schema: JSONValue, path: String, depth: Int) throws(SchemaError) -> Int32 {
    guard depth <= Self.maximumDepth else {
      throw fail(.tooComplex, path, "nested more than \(Self.maximumDepth) levels deep")
    }
    guard case .object(let object) = schema else {
      throw fail(.invalidValue("schema"), path, "a schema must be an object, found \(schema.kindName)")
    }
    for key in object.keys where !Self.known.contains(key) {
      throw fail(.unsupportedKeyword(key), path)
    }
    let active = object.keys.filter { !Self.annotations.contains($0) }
    if let reference = object["$ref"] {
      if let other = active.first(where: { $0 != "$ref" }) {
        throw fail(.unsupportedKeyword(other), path, "only annotations may stand beside $ref")
      }
      return try compileReference(reference, path: path, depth: depth)
    }
    for combinator in ["anyOf", "oneOf"] {
      guard let alternatives = object[combinator] else { continue }
      if let other = active.first(where: { $0 != combinator }) {
        throw fail(.unsupportedKeyword(other), path, "only annotations may stand beside \(combinator)")
      }
      guard case .array(let items) = alternatives, !items.isEmpty else {
        throw fail(.invalidValue(combinator), path, "must be a non-empty array of schemas")
      }
      var nodes: [Int32] = []
      for (index, item) in items.enumerated() {
        nodes.append(try compile(item, path: "\(path).\(combinator)[\(index)]", depth: depth + 1))
      }
      return try choice(nodes, path: path, keyword: combinator)
    }
    let types = try declaredTypes(object, path: path)
    if object["enum"] != nil || object["const"] != nil {
      return try compileLiterals(object, types: types, active: active, path: path)
    }
    guard !types.isEmpty else {
      throw fail(.invalidValue("type"), path, "a schema needs \"type\" (or enum, const, anyOf, oneOf or $ref)")
    }
    let applicable = types.reduce(into: Set<String>()) { $0.formUnion(Self.keywordsByType[$1] ?? []) }
    for key in active where key != "type" && !applicable.contains(key) {
      throw fail(.unsupportedKeyword(key), path, "it does not apply to type \(types.joined(separator: " or "))")
    }
    // "number" already admits every integer, so ["integer", "number"] is "number".
    let distinct = types.contains("number") ? types.filter { $0 != "integer" } : types
    var nodes: [Int32] = []
    for type in distinct { nodes.append(try compileTyped(type, object, path: path, depth: depth)) }
    return nodes.count == 1 ? nodes[0] : try choice(nodes, path: path, keyword: "type")
  }

  private func declaredTypes(_ object: JSONObject, path: String) throws(SchemaError) -> [String] {
    guard let type = object["type"] else { return [] }
    let names: [String]
    switch type {
    case .string(let name): names = [name]
    case .array(let items) where !items.isEmpty && items.allSatisfy({ $0.stringValue != nil }):
      names = items.compactMap(\.stringValue)
    default: throw fail(.invalidValue("type"), path, "must be a type name or a non-empty array of them")
    }
    for name in names where Self.keywordsByType[name] == nil {
      throw fail(.invalidValue("type"), path, "\(name.debugDescription) is not a JSON Schema type")
    }
    return names
  }

  private mutating func compileTyped(_ type: String, _ object: JSONObject, path: String, depth: Int) throws(SchemaError) -> Int32 {
    switch type {
    case "object": return try compileObject(object, path: path, depth: depth)
    case "array":
      guard let items = object["items"] else {
        throw fail(.invalidValue("items"), path, "an array schema needs \"items\" (one schema for every item)")
      }
      let minimum = try count(object, "minItems", path: path) ?? 0
      let maximum = try count(object, "maxItems", path: path)
      if let maximum, maximum < minimum { throw fail(.unsatisfiable, path, "minItems \(minimum) is above maxItems \(maximum)") }
      let itemNode = try compile(items, path: "\(path).items", depth: depth + 1)
      return append(Grammar.Node(kind: .array, child: itemNode, low: Int32(minimum), high: maximum.map(Int32.init) ?? -1))
    case "string":
      let minimum = try count(object, "minLength", path: path) ?? 0
      let maximum = try count(object, "maxLength", path: path)
      if let maximum, maximum < minimum { throw fail(.unsatisfiable, path, "minLength \(minimum) is above maxLength \(maximum)") }
      return append(Grammar.Node(kind: .string, low: Int32(minimum), high: maximum.map(Int32.init) ?? -1))
    case "number": return append(Grammar.Node(kind: .number))
    case "integer": return append(Grammar.Node(kind: .integer))
    case "boolean": return literals([.bool(true), .bool(false)])
    default: return literals([.null])
    }
  }

  private func count(_ object: JSONObject, _ keyword: String, path: String) throws(SchemaError) -> Int? {
    guard let value = object[keyword] else { return nil }
    guard let number = value.intValue, number >= 0, number <= Int(Int32.max) else {
      throw fail(.invalidValue(keyword), path, "must be a whole number from 0 to \(Int32.max)")
    }
    return number
  }

  private mutating func compileObject(_ object: JSONObject, path: String, depth: Int) throws(SchemaError) -> Int32 {
    if let additional = object["additionalProperties"], additional != .bool(false) {
      throw fail(.unsupportedKeyword("additionalProperties"), path, "only false is supported (absent means false)")
    }
    var properties: [(name: String, node: Int32)] = []
    if let value = object["properties"] {
      guard case .object(let declared) = value else {
        throw fail(.invalidValue("properties"), path, "must be an object of schemas")
      }
      guard declared.count <= Self.maximumProperties else {
        throw fail(.tooComplex, path, "\(declared.count) properties; an object may have at most \(Self.maximumProperties)")
      }
      for (name, schema) in declared.pairs {
        properties.append((name, try compile(schema, path: "\(path).properties\(Self.member(name))", depth: depth + 1)))
      }
    }
    var required = Set<String>()
    if let value = object["required"] {
      guard case .array(let names) = value, names.allSatisfy({ $0.stringValue != nil }) else {
        throw fail(.invalidValue("required"), path, "must be an array of property names")
      }
      for name in names.compactMap(\.stringValue) {
        guard properties.contains(where: { $0.name == name }) else {
          throw fail(.unsatisfiable, path, "required property \(name.debugDescription) is not in properties (and no other may appear)")
        }
        required.insert(name)
      }
    }
    let width = properties.count
    let first = Int32(grammar.propertyNodes.count)
    let slots = Int32(grammar.slotAllowed.count)
    for property in properties {
      grammar.propertyNodes.append(property.node)
      grammar.propertyNames.append(property.name)
      grammar.propertyRequired.append(required.contains(property.name))
      grammar.propertyKeyLengths.append(Int32(Self.escaped(property.name).utf8.count))
    }
    for position in 0...width {
      var allowed: UInt64 = 0
      var index = position
      while index < width {
        allowed |= 1 << UInt64(index)
        if required.contains(properties[index].name) { break }
        index += 1
      }
      grammar.slotAllowed.append(allowed)
      grammar.slotClosable.append(!properties[position...].contains { required.contains($0.name) })
    }
    let names = properties.map { Array(Self.escaped($0.name).utf8) }
    let trie = grammar.trie.add(names, marks: (0..<Int32(width)).map { $0 })
    return append(Grammar.Node(kind: .object, child: trie, table: first, width: Int32(width), slots: slots))
  }

  private mutating func compileLiterals(
    _ object: JSONObject, types: [String], active: [String], path: String
  ) throws(SchemaError) -> Int32 {
    if let other = active.first(where: { $0 != "type" && $0 != "enum" && $0 != "const" }) {
      throw fail(.unsupportedKeyword(other), path, "only \"type\" and annotations may stand beside enum or const")
    }
    var values: [JSONValue] = []
    if let constant = object["const"] { values.append(constant) }
    if let allowed = object["enum"] {
      guard case .array(let items) = allowed, !items.isEmpty else {
        throw fail(.invalidValue("enum"), path, "must be a non-empty array")
      }
      // Both given: the value must be the constant and among the enum's values.
      values = object["const"] == nil ? items : values.filter { value in items.contains { Literal.equal($0, value) } }
      if values.isEmpty { throw fail(.unsatisfiable, path, "const is not among the enum's values") }
    }
    if !types.isEmpty {
      for value in values where !types.contains(where: { Literal.hasType(value, $0) }) {
        throw fail(.unsatisfiable, path, "the value \(Literal.text(value)) is not of type \(types.joined(separator: " or "))")
      }
    }
    return literals(values)
  }

  private mutating func literals(_ values: [JSONValue]) -> Int32 {
    let texts = values.map { Array(Literal.text($0).utf8) }
    let trie = grammar.trie.add(texts, marks: [Int32](repeating: 0, count: texts.count))
    grammar.literalValues.append(values)
    return append(Grammar.Node(kind: .literals, child: trie, table: Int32(grammar.literalValues.count - 1)))
  }

  /// An anyOf whose alternatives each start with bytes no other can start with (different
  /// JSON types, or literals that differ in their first character), so the first byte of
  /// a value picks its alternative and the automaton stays deterministic.
  private mutating func choice(_ alternatives: [Int32], path: String, keyword: String) throws(SchemaError) -> Int32 {
    var table = [Int32](repeating: -1, count: 256)
    for (index, node) in alternatives.enumerated() {
      for byte in firstBytes(node) {
        if table[Int(byte)] >= 0, let other = alternatives.firstIndex(of: table[Int(byte)]) {
          throw fail(.unsupportedKeyword(keyword), path, "alternatives \(other) and \(index) can both start with "
            + "\(String(UnicodeScalar(byte)).debugDescription); only alternatives that differ in their first "
            + "character (different JSON types) are supported")
        }
        table[Int(byte)] = node
      }
    }
    let offset = Int32(grammar.choiceTable.count)
    grammar.choiceTable.append(contentsOf: table)
    return append(Grammar.Node(kind: .choice, table: offset))
  }

  private func firstBytes(_ index: Int32) -> [UInt8] {
    let node = grammar.node(index)
    switch node.kind {
    case .object: return [UInt8(ascii: "{")]
    case .array: return [UInt8(ascii: "[")]
    case .string: return [UInt8(ascii: "\"")]
    case .number, .integer: return Array("-0123456789".utf8)
    case .literals:
      let trie = grammar.trie
      let start = Int(trie.edgeStart[Int(node.child)])
      return Array(trie.edgeByte[start..<(start + Int(trie.edgeCount[Int(node.child)]))])
    case .choice:
      return (0..<256).filter { grammar.choiceTable[Int(node.table) + $0] >= 0 }.map { UInt8($0) }
    }
  }

  private mutating func compileReference(_ reference: JSONValue, path: String, depth: Int) throws(SchemaError) -> Int32 {
    guard let pointer = reference.stringValue, pointer == "#" || pointer.hasPrefix("#/") else {
      throw fail(.invalidValue("$ref"), path, "only references into this schema (\"#/$defs/Name\") are supported")
    }
    if let node = compiledRefs[pointer] { return node }
    guard !resolving.contains(pointer) else {
      throw fail(.tooComplex, path, "$ref \(pointer.debugDescription) is recursive; recursive schemas are not supported")
    }
    var target = document
    var targetPath = "$"
    for token in pointer.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) where pointer != "#" {
      let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
      guard let next = target[key] else {
        throw fail(.invalidValue("$ref"), path, "\(pointer.debugDescription) names nothing in this schema")
      }
      target = next
      targetPath += Self.member(key)
    }
    resolving.insert(pointer)
    defer { resolving.remove(pointer) }
    let node = try compile(target, path: targetPath, depth: depth + 1)
    compiledRefs[pointer] = node
    return node
  }

  /// A name as a JSON path step: `.name`, or `["odd name"]`.
  static func member(_ name: String) -> String {
    let plain = !name.isEmpty && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "$")
      || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    return plain ? ".\(name)" : "[\(Literal.text(.string(name)))]"
  }

  /// A property name as it stands between the key's quotes.
  static func escaped(_ name: String) -> String {
    String(Literal.text(.string(name)).dropFirst().dropLast())
  }
}
