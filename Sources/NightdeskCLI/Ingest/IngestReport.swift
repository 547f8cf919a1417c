import NightdeskIngest
import NightdeskSupport

/// How `nightdesk ingest` prints a document: as JSON, or as a few lines of text (its
/// sections with their locations, and its chunks).
enum IngestReport {
  static func json(_ document: Document, chunks: [Chunk]?) -> JSONValue {
    var object = JSONObject([
      "source": .string(document.source),
      "kind": .string(document.kind.rawValue),
      "title": document.title.map(JSONValue.string) ?? .null,
      "metadata": .object(document.metadata.sorted { $0.key < $1.key }.reduce(into: JSONObject()) { $0[$1.key] = .string($1.value) }),
      "sections": .array(document.sections.map { section in
        .object(JSONObject([
          "title": section.title.map(JSONValue.string) ?? .null,
          "paragraphs": .array(section.paragraphs.map { paragraph in
            .object(JSONObject(["text": .string(paragraph.text), "location": json(paragraph.location)]))
          }),
        ]))
      }),
    ])
    if let chunks {
      object["chunks"] = .array(chunks.map { chunk in
        var fields = JSONObject([
          "index": .int(Int64(chunk.index)),
          "tokens": .int(Int64(chunk.tokenCount)),
          "paragraphs": .array([.int(Int64(chunk.paragraphs.lowerBound)), .int(Int64(chunk.paragraphs.upperBound))]),
          "sections": .array(chunk.sections.map(JSONValue.string)),
          "text": .string(chunk.text),
        ])
        if let pages = chunk.pages { fields["pages"] = .array([.int(Int64(pages.lowerBound)), .int(Int64(pages.upperBound))]) }
        return .object(fields)
      })
    }
    return .object(object)
  }

  static func json(_ location: SourceLocation) -> JSONValue {
    var object = JSONObject()
    if let page = location.page { object["page"] = .int(Int64(page)) }
    if let section = location.section { object["section"] = .string(section) }
    if let line = location.line { object["line"] = .int(Int64(line)) }
    if let item = location.item { object["item"] = .int(Int64(item)) }
    if let post = location.post { object["post"] = .string(post) }
    return .object(object)
  }

  /// The document's lines: kind, title and first location; its sections; its chunks.
  static func text(_ document: Document, chunks: [Chunk]?, tokensEstimated: Bool) -> String {
    let paragraphs = document.paragraphs
    var out = "\(document.source): [\(document.kind.rawValue)] \(document.title ?? "(untitled)"): "
    out += "\(paragraphs.count) paragraph\(paragraphs.count == 1 ? "" : "s")"
    out += (paragraphs.first.map { " from \($0.location.citation)" } ?? "") + "\n"
    for section in document.sections {
      guard let title = section.title, var location = section.paragraphs.first?.location else { continue }
      location.section = nil
      out += "  § \(title) (\(location.citation))\n"
    }
    for chunk in chunks ?? [] {
      let pages = chunk.pages.map { $0.count == 1 ? ", p. \($0.lowerBound)" : ", pp. \($0.lowerBound)–\($0.upperBound)" } ?? ""
      out += "  chunk \(chunk.index): \(chunk.tokenCount) tokens\(tokensEstimated ? " (estimated)" : "")\(pages)"
      out += chunk.sections.isEmpty ? "\n" : ", \(chunk.sections.joined(separator: "; "))\n"
    }
    return out
  }
}
