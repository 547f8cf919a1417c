/// Why a model file (GGUF, safetensors, config) could not be used. The message
/// always names the file and, where it applies, the tensor or metadata key, what
/// was expected and what was found, so a user can tell a truncated download from
/// an unsupported format without a debugger.
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable, Equatable {
    /// The file could not be opened or mapped.
    case unreadable
    /// A read needed bytes beyond the end of the file.
    case truncated
    /// The first bytes are not what the format starts with.
    case badMagic
    /// A format version this loader does not read.
    case unsupportedVersion
    /// A tensor's element type or quantization is not one Nightdesk can load.
    case unsupportedTensorType
    /// A tensor's bytes (offset + size) fall outside the data section or the file.
    case outOfBounds
    /// A header or metadata value is malformed (bad length, absurd count, wrong value type, invalid UTF-8).
    case malformed
    /// A required metadata key or config field is absent.
    case missingKey
    /// A tensor that was asked for is not in the file.
    case missingTensor
    /// A tensor's shape disagrees with the model configuration.
    case shapeMismatch
    /// The model's architecture (or one of its features) is not supported.
    case unsupportedArchitecture
  }

  public var kind: Kind
  /// Path of the file at fault.
  public var file: String
  /// The tensor involved, if any.
  public var tensor: String?
  /// The metadata key or config field involved, if any.
  public var key: String?
  /// What was expected and what was found.
  public var detail: String

  public init(_ kind: Kind, file: String, tensor: String? = nil, key: String? = nil, _ detail: String) {
    self.kind = kind
    self.file = file
    self.tensor = tensor
    self.key = key
    self.detail = detail
  }

  public var description: String {
    var location = file
    if let tensor { location += ", tensor '\(tensor)'" }
    if let key { location += ", key '\(key)'" }
    return "\(location): \(detail)"
  }

  /// The same error attributed to `key` (when a low-level read fails inside a metadata value).
  func attributed(key: String) -> ModelFileError {
    var copy = self
    if copy.key == nil { copy.key = key }
    return copy
  }

  /// The same error attributed to `tensor`.
  func attributed(tensor: String) -> ModelFileError {
    var copy = self
    if copy.tensor == nil { copy.tensor = tensor }
    return copy
  }
}
