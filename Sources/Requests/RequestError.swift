/// A request (or a job holding requests) that cannot be accepted: `path` names the
/// bad field as JSON spells it (`job.requests[2].temperature`, or just
/// `temperature`), `problem` says what was found and what is allowed.
public struct RequestError: Error, Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var problem: String

  public init(_ path: String, _ problem: String) {
    self.path = path
    self.problem = problem
  }

  public var description: String { path.isEmpty ? problem : "\(path) \(problem)" }

  /// `field` under `path` ("" when the request is the whole document).
  public static func field(_ field: String, of path: String) -> String { path.isEmpty ? field : "\(path).\(field)" }
}
