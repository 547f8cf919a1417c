import Yams

/// The fields of one YAML mapping, read by name with errors that name the file, the
/// field's dotted path and its line; `finish()` refuses keys nobody asked for (a typo
/// such as `overlap_token` is an error, not a silently ignored setting).
struct YAMLFields {
  let file: String
  let path: String
  let node: Node
  private var pairs: [(key: String, value: Node)] = []
  private var used: Set<String> = []

  init(_ node: Node, file: String, path: String) throws(JobTypeError) {
    self.file = file
    self.path = path
    self.node = node
    guard let mapping = node.mapping else {
      throw JobTypeError(file: file, field: path.isEmpty ? nil : path, line: Self.line(node),
                         reason: "expected a mapping of fields, found \(Self.kind(node))")
    }
    var seen: Set<String> = []
    for (key, value) in mapping {
      guard let name = key.scalar?.string else {
        throw JobTypeError(file: file, field: path.isEmpty ? nil : path, line: Self.line(key), reason: "a key is not a plain string")
      }
      guard seen.insert(name).inserted else {
        throw JobTypeError(file: file, field: field(name), line: Self.line(key), reason: "the key appears twice")
      }
      pairs.append((name, value))
    }
  }

  /// The top-level mapping of the YAML text `yaml`, read from `file`.
  static func root(yaml: String, file: String) throws(JobTypeError) -> YAMLFields {
    let root: Node
    do {
      guard let node = try Yams.compose(yaml: yaml) else { throw JobTypeError(file: file, reason: "the file is empty") }
      root = node
    } catch let error as JobTypeError {
      throw error
    } catch let error as YamlError {
      throw JobTypeError(file: file, line: JobType.line(of: error), reason: "invalid YAML: \(JobType.problem(of: error))")
    } catch {
      throw JobTypeError(file: file, reason: "invalid YAML: \(error)")
    }
    return try YAMLFields(root, file: file, path: "")
  }

  /// The keys in file order.
  var keys: [String] { pairs.map(\.key) }

  func field(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

  func error(_ key: String, _ reason: String, at node: Node? = nil) -> JobTypeError {
    JobTypeError(file: file, field: field(key), line: (node ?? value(key)).flatMap(Self.line) ?? Self.line(self.node), reason: reason)
  }

  func value(_ key: String) -> Node? { pairs.first { $0.key == key }?.value }

  mutating func optional(_ key: String) -> Node? {
    used.insert(key)
    return value(key)
  }

  mutating func required(_ key: String) throws(JobTypeError) -> Node {
    guard let node = optional(key) else {
      throw JobTypeError(file: file, field: field(key), line: Self.line(self.node), reason: "missing (required)")
    }
    return node
  }

  mutating func string(_ key: String) throws(JobTypeError) -> String {
    try text(try required(key), key)
  }

  mutating func optionalString(_ key: String) throws(JobTypeError) -> String? {
    guard let node = optional(key) else { return nil }
    return try text(node, key)
  }

  func text(_ node: Node, _ key: String) throws(JobTypeError) -> String {
    guard let scalar = node.scalar else {
      throw error(key, "expected text, found \(Self.kind(node))", at: node)
    }
    let value = scalar.string
    guard !value.allSatisfy(\.isWhitespace) else { throw error(key, "must not be empty", at: node) }
    return value
  }

  mutating func int(_ key: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws(JobTypeError) -> Int {
    guard let node = optional(key) else {
      if let fallback { return fallback }
      throw JobTypeError(file: file, field: field(key), line: Self.line(self.node), reason: "missing (required)")
    }
    guard let scalar = node.scalar, let value = Int(scalar.string) else {
      throw error(key, "expected a whole number, found \(Self.kind(node))", at: node)
    }
    guard range.contains(value) else {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))", at: node)
    }
    return value
  }

  mutating func double(_ key: String, in range: ClosedRange<Double>, default fallback: Double) throws(JobTypeError) -> Double {
    guard let node = optional(key) else { return fallback }
    guard let scalar = node.scalar, let value = Double(scalar.string), value.isFinite else {
      throw error(key, "expected a number, found \(Self.kind(node))", at: node)
    }
    guard range.contains(value) else {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))", at: node)
    }
    return value
  }

  /// `on`/`off` (also `true`/`false`).
  mutating func flag(_ key: String, default fallback: Bool) throws(JobTypeError) -> Bool {
    guard let node = optional(key) else { return fallback }
    switch node.scalar?.string.lowercased() {
    case "on"?, "true"?: return true
    case "off"?, "false"?: return false
    default: throw error(key, "expected on or off, found \(Self.kind(node))", at: node)
    }
  }

  mutating func mapping(_ key: String) throws(JobTypeError) -> YAMLFields {
    try YAMLFields(try required(key), file: file, path: field(key))
  }

  mutating func optionalMapping(_ key: String) throws(JobTypeError) -> YAMLFields? {
    guard let node = optional(key) else { return nil }
    return try YAMLFields(node, file: file, path: field(key))
  }

  mutating func sequence(_ key: String) throws(JobTypeError) -> [Node] {
    let node = try required(key)
    guard let items = node.sequence else { throw error(key, "expected a list, found \(Self.kind(node))", at: node) }
    return Array(items)
  }

  /// Refuses the keys no reader asked for.
  func finish() throws(JobTypeError) {
    if let unknown = pairs.first(where: { !used.contains($0.key) }) {
      let known = used.sorted().joined(separator: ", ")
      throw error(unknown.key, "unknown field (known here: \(known))", at: unknown.value)
    }
  }

  static func line(_ node: Node) -> Int? { node.mark.map { $0.line } }

  static func kind(_ node: Node) -> String {
    switch node {
    case .scalar(let scalar): return scalar.string.isEmpty ? "nothing" : "\"\(scalar.string.prefix(40))\""
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    }
  }
}
