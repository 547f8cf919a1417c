import NightdeskSupport

/// A JSON Schema compiled for constrained decoding and validation.
///
/// The supported subset (anything else is refused by `compile`, naming the keyword):
/// - `type`: `object`, `array`, `string`, `number`, `integer`, `boolean`, `null`, or an
///   array of them (`["string", "null"]`);
/// - objects: `properties`, `required`, `additionalProperties: false` (absent means false:
///   no other key may appear), at most 64 properties;
/// - arrays: `items` (one schema), `minItems`, `maxItems`;
/// - strings: `minLength`, `maxLength` (in Unicode code points, escapes count as one);
/// - `enum`, `const` (any JSON values, compared as JSON Schema does);
/// - `anyOf` / `oneOf` whose alternatives differ in their first character (different
///   JSON types, or literals with different first characters);
/// - `$ref` into the schema itself (`#/$defs/Name`), not recursive;
/// - annotations (`title`, `description`, `$schema`, `$id`, `$comment`, `examples`,
///   `default`, `deprecated`, `readOnly`, `writeOnly`, `$defs`, `definitions`), ignored.
///
/// What the decoder emits is a subset of what the schema accepts, and `validate` checks
/// the schema itself. The emitted text:
/// - puts properties in schema order (optional ones may be left out), as OpenAI's strict
///   structured outputs do;
/// - has at most one whitespace byte (a space or a newline) at each place JSON allows
///   whitespace between tokens with `.single`, none with `.none`; none before or after
///   the value, so whitespace never runs away;
/// - writes numbers with at most 18 integer digits, 18 fraction digits and 2 exponent
///   digits (so that they parse as 64-bit integers and finite doubles);
/// - writes strings as valid UTF-8 with JSON's escapes, where `\u` never names a
///   surrogate (D800–DFFF);
/// - writes an enum or const value in its compact form (`{"a":1}`, no whitespace).
public struct StructuredSchema: Sendable {
  /// Whitespace allowed between JSON tokens in decoded text.
  public enum Whitespace: Sendable {
    /// None: `{"a":1,"b":[2,3]}`.
    case none
    /// At most one space or newline at each place: `{"a": 1, "b": [2, 3]}`.
    case single
  }

  public let whitespace: Whitespace
  let grammar: Grammar
  /// Distinct for each compilation: users of a schema (the engine) key what they derive
  /// from it by this, so a schema compiled once and shared is worked out once.
  public let identity: UInt64

  private static let compilations = LockedValue<UInt64>(0)

  init(whitespace: Whitespace, grammar: Grammar) {
    self.whitespace = whitespace
    self.grammar = grammar
    identity = Self.compilations.withLock { count in
      count += 1
      return count
    }
  }

  /// The bytes of the shortest schema-valid document (required properties only, each at
  /// its shortest value): the smallest `max_tokens` that is sure to close.
  public var shortestDocument: Int { grammar.shortest.value[Int(grammar.root)] }

  /// Compiles `schema`, refusing keywords outside the subset with their name and path.
  public static func compile(_ schema: JSONValue, whitespace: Whitespace = .single) throws(SchemaError) -> StructuredSchema {
    var compiler = SchemaCompiler(document: schema)
    return StructuredSchema(whitespace: whitespace, grammar: try compiler.compileRoot())
  }

  /// The ways `value` breaks the schema (empty when it is valid), for stored outputs and
  /// for output decoded without constraints. Properties may come in any order here.
  public func validate(_ value: JSONValue) -> [SchemaViolation] {
    var violations: [SchemaViolation] = []
    SchemaValidator(grammar: grammar).check(value, grammar.root, path: "$", into: &violations)
    return violations
  }

  /// `validate` of a JSON text; text that is not JSON is one violation at `$`.
  public func validate(text: some Collection<UInt8>) -> [SchemaViolation] {
    do {
      return validate(try JSONParser.parse(text))
    } catch {
      return [SchemaViolation(path: "$", message: "\(error)")]
    }
  }
}
