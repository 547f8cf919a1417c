/// Why a job type file (or another YAML file read the same way: the schedules) was
/// refused: the file, the field (a dotted path such as `chunking.overlap_tokens`), the
/// line when known, and what is wrong.
public struct JobTypeError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var field: String?
  public var line: Int?
  public var reason: String

  public init(file: String, field: String? = nil, line: Int? = nil, reason: String) {
    self.file = file
    self.field = field
    self.line = line
    self.reason = reason
  }

  /// "Jobs/types/news-digest.yaml:14: chunking.overlap_tokens: must be at most half of target_tokens"
  public var description: String {
    var text = file
    if let line { text += ":\(line)" }
    if let field { text += ": \(field)" }
    return text + ": " + reason
  }
}
