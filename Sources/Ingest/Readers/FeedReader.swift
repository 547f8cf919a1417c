import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// News feeds: RSS 2.0 (`channel/item`) and Atom (`feed/entry`), through Foundation's
/// XMLParser (libxml2; external entities are not resolved). Each item with text is an
/// article; an item without any is reported by its number, and a feed without items
/// is an error.
public enum FeedReader {
  public static func read(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    let bytes: [UInt8]
    switch FileBytes.read(path, limit: limits.maxDocumentBytes) {
    case .failure(let error): return .failure(error)
    case .success(let read): bytes = read
    }
    if let bad = UTF8Text.firstInvalidOffset(bytes) {
      return .failure(IngestError(file: path, position: .byte(bad), reason: "invalid UTF-8 (only UTF-8 feeds are read)"))
    }
    let collector = FeedCollector(maxDepth: limits.maxDepth, maxItems: limits.maxItems)
    let parser = XMLParser(data: Data(bytes))
    parser.shouldResolveExternalEntities = false
    parser.shouldProcessNamespaces = false
    parser.delegate = collector
    // libxml2 may recover from some errors and carry on; the first one reported still counts.
    let parsed = parser.parse() && collector.firstError == nil

    var result = ReadResult()
    let feedTitle = collector.feedTitle
    for item in collector.items {
      let number = item.number
      let body = [item.fields["content:encoded"], item.fields["content"], item.fields["description"], item.fields["summary"]]
        .compactMap { $0 }.first { !$0.allSatisfy(\.isWhitespace) }
      guard let body else {
        result.errors.append(IngestError(file: path, position: .item(number, byte: nil),
                                         reason: "the item (line \(item.line)) has no text (description, content or summary)"))
        continue
      }
      var metadata: [String: String] = [:]
      metadata["url"] = item.fields["link"]
      metadata["published"] = item.fields["pubDate"] ?? item.fields["published"] ?? item.fields["updated"] ?? item.fields["dc:date"]
      metadata["id"] = item.fields["guid"] ?? item.fields["id"]
      metadata["author"] = item.fields["author"] ?? item.fields["dc:creator"] ?? item.fields["name"]
      metadata["source"] = feedTitle
      let article = NewsArticle(title: item.fields["title"].map(HTMLEntities.decode), body: body, metadata: metadata)
      result.documents.append(article.document(source: path, item: number, line: item.line))
    }
    if !parsed {
      let (line, column) = collector.firstError.map { ($0.line, $0.column) } ?? (parser.lineNumber, parser.columnNumber)
      let reason = collector.abortReason ?? collector.firstError?.reason ?? parser.parserError.map { describe($0) } ?? "malformed XML"
      // XMLParser knows the line and column; the line's byte offset is counted here.
      result.errors.append(IngestError(file: path, position: .line(line, byte: byteOffset(ofLine: line, in: bytes)),
                                       reason: "invalid XML at column \(column): \(reason)"))
    } else if collector.root == nil || !["rss", "feed", "rdf:RDF"].contains(collector.root!) {
      result.errors.append(IngestError(file: path, reason: "not an RSS or Atom feed (the root element is <\(collector.root ?? "")>)"))
    } else if collector.items.isEmpty {
      result.errors.append(IngestError(file: path, reason: "feed without items (no <item> or <entry>)"))
    }
    return result
  }

  static func describe(_ error: any Error) -> String {
    let text = (error as NSError).localizedDescription
    return text.isEmpty ? "malformed XML" : text
  }

  static func byteOffset(ofLine line: Int, in bytes: [UInt8]) -> Int {
    guard line > 1 else { return 0 }
    var seen = 1
    for (offset, byte) in bytes.enumerated() where byte == 0x0A {
      seen += 1
      if seen == line { return offset + 1 }
    }
    return bytes.count
  }
}

/// XMLParser's delegate: the text of the fields of each item or entry.
private final class FeedCollector: NSObject, XMLParserDelegate {
  struct Item {
    var number: Int
    var line: Int
    var fields: [String: String] = [:]
  }

  let maxDepth: Int
  let maxItems: Int
  var root: String?
  var feedTitle: String?
  var items: [Item] = []
  var abortReason: String?
  /// The first error libxml2 reported, where it was.
  var firstError: (line: Int, column: Int, reason: String)?
  private var depth = 0
  private var current: Item?
  private var field: String?
  private var text = ""
  private var itemCount = 0
  private var path: [String] = []

  init(maxDepth: Int, maxItems: Int) {
    self.maxDepth = maxDepth
    self.maxItems = maxItems
  }

  func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
              attributes: [String: String] = [:]) {
    depth += 1
    path.append(name)
    if root == nil { root = name }
    if depth > maxDepth {
      abortReason = "elements nest deeper than \(maxDepth) levels"
      parser.abortParsing()
      return
    }
    if name == "item" || name == "entry" {
      itemCount += 1
      if itemCount > maxItems {
        abortReason = "more than \(maxItems) items"
        parser.abortParsing()
        return
      }
      current = Item(number: itemCount, line: parser.lineNumber)
      return
    }
    guard current != nil else {
      if name == "title", path.count <= 3 { field = "feed-title"; text = "" }
      return
    }
    // Atom's link is an attribute; RSS's is text.
    if name == "link", let href = attributes["href"], current?.fields["link"] == nil || attributes["rel"] == "alternate" {
      current?.fields["link"] = href
    }
    if field == nil {
      field = name
      text = ""
    }
  }

  func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
    if firstError == nil {
      firstError = (parser.lineNumber, parser.columnNumber, FeedReader.describe(parseError))
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if field != nil, text.utf8.count < 8 << 20 { text += string }
  }

  func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
    if field != nil, text.utf8.count < 8 << 20 { text += String(decoding: CDATABlock, as: UTF8.self) }
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    depth -= 1
    if !path.isEmpty { path.removeLast() }
    if name == "item" || name == "entry", let item = current {
      items.append(item)
      current = nil
      field = nil
      return
    }
    if field == "feed-title", name == "title" {
      let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
      if feedTitle == nil, !value.isEmpty { feedTitle = value }
      field = nil
      return
    }
    guard let open = field, open == name, current != nil else { return }
    let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if !value.isEmpty, current?.fields[name] == nil { current?.fields[name] = value }
    field = nil
  }
}
