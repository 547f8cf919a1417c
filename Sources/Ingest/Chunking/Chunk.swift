/// A piece of a document that fits one request, with where its text came from.
public struct Chunk: Sendable, Equatable {
  /// 0-based position among the document's chunks.
  public var index: Int
  /// The chunk's paragraphs (pieces of one, for a paragraph longer than a chunk),
  /// separated by blank lines.
  public var text: String
  /// The document paragraphs it holds (a range of `Document.paragraphs` indices).
  public var paragraphs: ClosedRange<Int>
  /// Tokens of `text`, counted by the model's tokenizer.
  public var tokenCount: Int
  /// The location of each piece of text, in order.
  public var locations: [SourceLocation]

  public init(index: Int, text: String, paragraphs: ClosedRange<Int>, tokenCount: Int, locations: [SourceLocation]) {
    self.index = index
    self.text = text
    self.paragraphs = paragraphs
    self.tokenCount = tokenCount
    self.locations = locations
  }

  /// The PDF pages the chunk's text is on (first to last), nil for other documents.
  public var pages: ClosedRange<Int>? {
    let pages = locations.compactMap(\.page)
    guard let first = pages.min(), let last = pages.max() else { return nil }
    return first...last
  }

  /// The section headings the chunk's text is under, in order, each once.
  public var sections: [String] {
    var seen: Set<String> = []
    return locations.compactMap(\.section).filter { seen.insert($0).inserted }
  }
}
