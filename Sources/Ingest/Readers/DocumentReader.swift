import Foundation
import NightdeskSupport

/// The front door of ingestion: reads any file the readers know, choosing the reader
/// by the file's extension (and, for JSON Lines, the job type's input family or the
/// first line's fields). Never throws: what cannot be read comes back as errors.
public struct DocumentReader: Sendable {
  public var limits: InputLimits

  public init(limits: InputLimits = InputLimits()) { self.limits = limits }

  /// The documents of `path`, read as `kind` (else as detected; `family` helps detection).
  public func read(_ path: String, as kind: InputKind? = nil, family: InputFamily? = nil) -> ReadResult {
    guard let kind = kind ?? InputKind.detect(path: path, family: family) ?? sniff(path) else {
      let known = "pdf, html, htm, md, txt, jsonl, ndjson, json, rss, atom, xml; jsonl.zst, ndjson.zst, json.zst"
      return .failure(IngestError(file: path, reason: "unknown kind of file (known extensions: \(known))"))
    }
    if let family, !family.kinds.contains(kind) {
      return .failure(IngestError(file: path, reason: "a \(kind.rawValue) file is not \(family.rawValue) input"))
    }
    switch kind {
    case .pdf: return PDFReader.read(path, limits: limits)
    case .html: return HTMLReader.read(path, limits: limits)
    case .markdown: return MarkdownReader.read(path, limits: limits)
    case .text: return PlainTextReader.read(path, limits: limits)
    case .newsJSONL: return NewsJSONLReader.read(path, limits: limits)
    case .feed: return FeedReader.read(path, limits: limits)
    case .socialJSON: return SocialReader.readJSON(path, limits: limits)
    case .socialJSONL: return SocialReader.readJSONL(path, limits: limits)
    }
  }

  /// Streams: each document goes to `each` as soon as it is read (news JSONL and social
  /// dumps one article or thread at a time, in bounded memory); returns the errors.
  public func read(_ path: String, as kind: InputKind? = nil, family: InputFamily? = nil,
                   each: (Document) -> Void) -> [IngestError] {
    switch kind ?? InputKind.detect(path: path, family: family) ?? sniff(path) {
    case .newsJSONL? where family == nil || family == .news:
      return NewsJSONLReader.read(path, limits: limits, each: each)
    case .socialJSON? where family == nil || family == .social:
      return SocialReader.readJSON(path, limits: limits, each: each)
    case .socialJSONL? where family == nil || family == .social:
      return SocialReader.readJSONL(path, limits: limits, each: each)
    default:
      // The other readers hold one document, bounded by the document size limit.
      let result = read(path, as: kind, family: family)
      result.documents.forEach(each)
      return result.errors
    }
  }

  /// A JSON Lines file of unstated family: news when its first object has a headline
  /// (`title`/`headline`), social posts otherwise.
  func sniff(_ path: String) -> InputKind? {
    var name = path.lowercased()
    if ZstdSource.isCompressed(name) { name = String(name.dropLast(4)) }
    guard name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") else { return nil }
    // The reader names a problem opening it.
    guard case .success(let handle) = FileBytes.openStream(path, limit: limits.maxStreamBytes) else { return .newsJSONL }
    defer { try? handle.close() }
    var lines = LineStream(handle: handle, maxLineBytes: limits.maxItemBytes)
    for _ in 0..<16 {
      guard case .line(let line)? = try? lines.next() else { break }
      guard let object = (try? JSONParser.parse(line.bytes))?.objectValue else { continue }
      return NewsArticle.titleKeys.contains(where: { object[$0] != nil }) ? .newsJSONL : .socialJSONL
    }
    return .newsJSONL
  }
}
