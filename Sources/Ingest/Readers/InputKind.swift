/// The formats the readers know. A job type's input family narrows the choice for
/// files whose extension is ambiguous (a `.jsonl` of news or of posts).
public enum InputKind: String, Sendable, CaseIterable {
  case pdf, html, markdown, text
  /// One article per line: `{"title", "body" | "text" | "content", "url", "published", ...}`.
  case newsJSONL = "news-jsonl"
  /// RSS 2.0 or Atom.
  case feed
  /// A JSON array of posts, an object holding one (`posts`, `items`, `data`), or one thread.
  case socialJSON = "social-json"
  /// One post (with nested `replies`) per line.
  case socialJSONL = "social-jsonl"

  /// The kind a file's name says, with `family` deciding between news and social for
  /// JSON files; nil when the extension is not one the readers know.
  /// A `.zst` file is the kind its name says without `.zst`, when that kind is read as a
  /// stream (JSON Lines, a social JSON array); other kinds are not read compressed.
  public static func detect(path: String, family: InputFamily? = nil) -> InputKind? {
    let name = path.lowercased()
    if name.hasSuffix(".zst") {
      let inner = detect(path: String(name.dropLast(4)), family: family)
      return inner.map(\.streams) == true ? inner : nil
    }
    let ext = name.split(separator: "/").last.flatMap { $0.contains(".") ? $0.split(separator: ".").last : nil } ?? ""
    switch ext {
    case "pdf": return .pdf
    case "html", "htm", "xhtml": return .html
    case "md", "markdown": return .markdown
    case "txt", "text": return .text
    case "rss", "atom", "xml": return .feed
    case "jsonl", "ndjson": return family == .news ? .newsJSONL : family == .social ? .socialJSONL : nil
    case "json": return family == .news ? nil : .socialJSON
    default: return nil
    }
  }

  /// Read in bounded memory as the bytes come (so also from a `.zst` file).
  var streams: Bool { self == .newsJSONL || self == .socialJSON || self == .socialJSONL }
}

/// What a job type takes in: documents (reports, contracts), news, or social posts.
public enum InputFamily: String, Sendable, CaseIterable {
  case document, news, social

  /// The input kinds of the family.
  public var kinds: [InputKind] {
    switch self {
    case .document: return [.pdf, .html, .markdown, .text]
    case .news: return [.newsJSONL, .feed]
    case .social: return [.socialJSON, .socialJSONL]
    }
  }
}
