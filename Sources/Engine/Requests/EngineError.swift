/// What went wrong with a request or the engine, and what to do about it. An
/// extensible struct: equality is by code, the message carries the details.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, Sendable {
    /// A request field is out of range; fix the request.
    case invalidRequest
    /// The prompt does not fit the model's context or the KV cache; shorten it or raise --kv-memory.
    case tooLong
    /// The engine was stopped before or while the request ran.
    case stopped
    /// The model failed during a step.
    case modelFailure
    /// The engine could not be set up (KV memory, options).
    case configuration
  }

  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
  public static func == (lhs: EngineError, rhs: EngineError) -> Bool { lhs.code == rhs.code }
}
