import NightdeskSupport

/// One news article from a JSON object (a JSONL line) or a feed item: a headline,
/// a body (plain text or HTML), and what the source says about it.
struct NewsArticle {
  var title: String?
  var body: String
  var metadata: [String: String]

  /// Field names as news exports spell them; the first present one is used.
  static let titleKeys = ["title", "headline"]
  static let bodyKeys = ["body", "text", "content", "article", "summary", "description"]
  static let metadataKeys: [(key: String, names: [String])] = [
    ("url", ["url", "link"]), ("published", ["published", "published_at", "date", "pubDate", "time"]),
    ("source", ["source", "publisher", "feed"]), ("id", ["id", "guid"]), ("author", ["author", "byline"]),
  ]

  /// The article in `value`, or why it is not one.
  static func from(_ value: JSONValue) -> Result<NewsArticle, Problem> {
    guard let object = value.objectValue else { return .failure(Problem("expected an article object, found \(value.kindName)")) }
    let title = titleKeys.lazy.compactMap { object[$0]?.stringValue }.first
    guard let body = bodyKeys.lazy.compactMap({ object[$0]?.stringValue }).first(where: { !$0.allSatisfy(\.isWhitespace) })
    else { return .failure(Problem("the article has no text (none of \(bodyKeys.joined(separator: ", ")) is a non-empty string)")) }
    var metadata: [String: String] = [:]
    for (key, names) in metadataKeys {
      for name in names {
        switch object[name] {
        case .string(let text)?: metadata[key] = text
        case .int(let number)?: metadata[key] = String(number)
        case .object(let nested)?: if let name = nested["name"]?.stringValue { metadata[key] = name }
        default: continue
        }
        break
      }
    }
    if let tickers = object["tickers"]?.arrayValue?.compactMap(\.stringValue), !tickers.isEmpty {
      metadata["tickers"] = tickers.joined(separator: ",")
    }
    return .success(NewsArticle(title: title, body: body, metadata: metadata))
  }

  struct Problem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
  }

  /// The document: the headline as its section heading, the body's paragraphs under it,
  /// each located by item (and by the line its item starts on, where known).
  func document(source: String, item: Int, line: Int?) -> Document {
    var builder = SectionBuilder()
    let location = SourceLocation(line: line, item: item)
    if let title, !title.allSatisfy(\.isWhitespace) { builder.heading(title, at: location) }
    for paragraph in NewsArticle.paragraphs(of: body) { builder.paragraph(paragraph, at: location) }
    return Document(source: source, kind: .newsArticle, title: title, sections: builder.sections, metadata: metadata)
  }

  /// Paragraphs of a body that may be HTML (feeds carry HTML descriptions).
  static func paragraphs(of body: String) -> [String] {
    let looksLikeHTML = body.contains("</") || body.contains("<p") || body.contains("<br")
    if looksLikeHTML {
      return HTMLText(Array(body.utf8)).blocks.map {
        switch $0 {
        case .heading(let text, _), .paragraph(let text, _): return text
        }
      }
    }
    return TextBlock.split(body[...]).map(\.text)
  }
}
