/// Why a JSON Schema was refused at compile time, and where (a JSON path into the
/// schema such as `$.properties.risks.items`). Refusing is the point: a keyword the
/// decoder cannot enforce is never skipped silently, so a submitted schema either means
/// exactly what it says or is sent back with the keyword named.
public struct SchemaError: Error, CustomStringConvertible, Sendable, Equatable {
  public enum Code: Sendable, Equatable {
    /// A keyword outside the supported subset (`patternProperties`, `minimum`, …).
    case unsupportedKeyword(String)
    /// A supported keyword with a value of the wrong kind (`"maxLength": "ten"`).
    case invalidValue(String)
    /// A schema no JSON text satisfies (`minItems` above `maxItems`, an empty `enum`).
    case unsatisfiable
    /// Beyond the compiler's limits (nesting, properties per object) or a recursive `$ref`.
    case tooComplex
    /// A request's `max_tokens` below the bytes of the schema's shortest document, so its
    /// answer could not be made to close in time (a token writes at least one byte).
    case budgetTooSmall(maxTokens: Int, shortest: Int)
  }

  public var code: Code
  /// Where in the schema, as a JSON path from `$`.
  public var path: String
  public var message: String

  public var description: String {
    switch code {
    case .unsupportedKeyword(let keyword): return "unsupported schema keyword \"\(keyword)\" at \(path)\(message.isEmpty ? "" : ": \(message)")"
    case .invalidValue(let keyword): return "invalid value of schema keyword \"\(keyword)\" at \(path): \(message)"
    case .unsatisfiable: return "schema at \(path) allows no value: \(message)"
    case .tooComplex: return "schema at \(path) is beyond the structured-output limits: \(message)"
    case .budgetTooSmall(let maxTokens, let shortest):
      return "max_tokens \(maxTokens) is below \(shortest), the length in bytes of the shortest document the "
        + "response_format schema at \(path) allows: a constrained answer is only sure to close within max_tokens "
        + "when it is at least that (a token writes at least one byte); raise max_tokens to \(shortest) or more"
    }
  }
}

/// One way a JSON value breaks a schema, for stored outputs (`StructuredSchema.validate`).
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
  /// Where in the value, as a JSON path from `$` (`$.risks[2].severity`).
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}
