import NightdeskSupport

/// Checks a parsed value against a compiled grammar, collecting every violation with
/// its path. Numbers are not held to the decoder's digit limits: those shape what the
/// decoder writes, not what the schema means.
struct SchemaValidator {
  let grammar: Grammar

  func check(_ value: JSONValue, _ index: Int32, path: String, into violations: inout [SchemaViolation]) {
    let node = grammar.node(index)
    func fail(_ message: String) { violations.append(SchemaViolation(path: path, message: message)) }
    switch node.kind {
    case .object:
      guard case .object(let object) = value else { return fail("expected an object, found \(value.kindName)") }
      let first = Int(node.table)
      let names = grammar.propertyNames[first..<(first + Int(node.width))]
      for key in object.keys where !names.contains(key) {
        fail("unexpected property \(key.debugDescription) (additionalProperties is false)")
      }
      for (offset, name) in names.enumerated() {
        if let member = object[name] {
          check(member, grammar.propertyNodes[first + offset], path: path + SchemaCompiler.member(name), into: &violations)
        } else if grammar.propertyRequired[first + offset] {
          fail("missing required property \(name.debugDescription)")
        }
      }
    case .array:
      guard case .array(let items) = value else { return fail("expected an array, found \(value.kindName)") }
      if items.count < node.low { fail("\(items.count) items, fewer than minItems \(node.low)") }
      if node.high >= 0, items.count > node.high { fail("\(items.count) items, more than maxItems \(node.high)") }
      for (offset, item) in items.enumerated() {
        check(item, node.child, path: "\(path)[\(offset)]", into: &violations)
      }
    case .string:
      guard case .string(let string) = value else { return fail("expected a string, found \(value.kindName)") }
      let length = string.unicodeScalars.count
      if length < node.low { fail("\(length) characters, fewer than minLength \(node.low)") }
      if node.high >= 0, length > node.high { fail("\(length) characters, more than maxLength \(node.high)") }
    case .number:
      if !Literal.hasType(value, "number") { fail("expected a number, found \(value.kindName)") }
    case .integer:
      if !Literal.hasType(value, "integer") { fail("expected an integer, found \(value.kindName)") }
    case .literals:
      let allowed = grammar.literalValues[Int(node.table)]
      if !allowed.contains(where: { Literal.equal($0, value) }) {
        let list = allowed.prefix(8).map(Literal.text).joined(separator: ", ")
        fail("\(Literal.text(value)) is not one of \(list)\(allowed.count > 8 ? ", …" : "")")
      }
    case .choice:
      let table = grammar.choiceTable[Int(node.table)..<Int(node.table + 256)]
      var alternatives: [Int32] = []
      for alternative in table where alternative >= 0 && !alternatives.contains(alternative) { alternatives.append(alternative) }
      var best: [SchemaViolation]? = nil
      for alternative in alternatives {
        var found: [SchemaViolation] = []
        check(value, alternative, path: path, into: &found)
        if found.isEmpty { return }
        if best == nil || found.count < best!.count { best = found }
      }
      fail("matches none of the \(alternatives.count) alternatives")
      violations += best ?? []
    }
  }
}
