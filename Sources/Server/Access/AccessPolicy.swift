import Hummingbird

/// Who may call the API: with keys, each `Authorization: Bearer KEY` acts for its desk;
/// without keys (no `NIGHTDESK_API_KEYS_FILE`), every caller is the default desk, which
/// `ServerConfiguration.validate` allows on a loopback address only.
public enum AccessPolicy: Sendable {
  case keys(APIKeys)
  case openOnLoopback

  /// The desk the request acts for, or 401 in OpenAI's shape.
  func desk(of request: Request) throws(APIError) -> String {
    switch self {
    case .openOnLoopback:
      return DeskScope.defaultDesk
    case .keys(let keys):
      guard let header = request.headers[.authorization] else {
        throw .unauthorized("You didn't provide an API key. Send it as `Authorization: Bearer KEY`.")
      }
      let parts = header.split(separator: " ", maxSplits: 1)
      guard parts.count == 2, parts[0].lowercased() == "bearer", let desk = keys.desk(for: String(parts[1])) else {
        throw .unauthorized("Incorrect API key provided.")
      }
      return desk
    }
  }
}
