/// Takes passwords out of text bound for a log: in `scheme://user:password@host`,
/// `scheme://:password@host` and a `password=` query item (`unix:///s.sock?password=P`),
/// the password becomes `***`. Redis URLs are printed redacted
/// by `RedisURL` already; this is the net under every message and metadata value, for
/// an error text that quotes a URL it was given.
public enum LogRedaction {
  public static func redact(_ text: String) -> String {
    redactQueryPasswords(redactUserInfo(text))
  }

  private static func redactUserInfo(_ text: String) -> String {
    guard text.contains("://"), text.contains("@") else { return text }
    var out = ""
    var rest = Substring(text)
    while let scheme = rest.range(of: "://") {
      out += rest[..<scheme.upperBound]
      rest = rest[scheme.upperBound...]
      // A password may hold '/' (base64 does), so the user info runs to the last '@' before
      // the URL ends (whitespace or a quote); the password is between its first ':' and that '@'.
      let end = rest.firstIndex { $0 == " " || $0 == "\"" || $0 == "\n" || $0 == "'" } ?? rest.endIndex
      let authority = rest[..<end]
      if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
        out += authority[...colon] + "***" + authority[at...]
      } else {
        out += authority
      }
      rest = rest[end...]
    }
    return out + rest
  }
}

extension LogRedaction {
  fileprivate static func redactQueryPasswords(_ text: String) -> String {
    guard text.contains("password=") else { return text }
    var out = ""
    var rest = Substring(text)
    while let key = rest.range(of: "password=") {
      out += rest[..<key.upperBound] + "***"
      rest = rest[key.upperBound...]
      rest = rest[(rest.firstIndex { $0 == "&" || $0 == " " || $0 == "\"" || $0 == "\n" } ?? rest.endIndex)...]
    }
    return out + rest
  }
}
