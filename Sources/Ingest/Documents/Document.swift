/// A paragraph of text and where it came from: the unit that chunking packs.
public struct Paragraph: Sendable, Equatable {
  public var text: String
  public var location: SourceLocation

  public init(_ text: String, at location: SourceLocation) {
    self.text = text
    self.location = location
  }
}

/// A run of paragraphs under one heading (`title` nil before the first heading).
public struct Section: Sendable, Equatable {
  public var title: String?
  public var paragraphs: [Paragraph]

  public init(title: String?, paragraphs: [Paragraph] = []) {
    self.title = title
    self.paragraphs = paragraphs
  }
}

/// A document as the readers give it: text in sections and paragraphs, each
/// paragraph with its source location, plus what the source said about itself
/// (an article's URL and date, a post's author).
public struct Document: Sendable, Equatable {
  /// The file it was read from, as given to the reader.
  public var source: String
  public var kind: DocumentKind
  public var title: String?
  public var sections: [Section]
  /// Fields of the source such as `url`, `published`, `author`, `id`, `feed`.
  public var metadata: [String: String]

  public init(source: String, kind: DocumentKind, title: String?, sections: [Section], metadata: [String: String] = [:]) {
    self.source = source
    self.kind = kind
    self.title = title
    self.sections = sections
    self.metadata = metadata
  }

  /// Every paragraph in reading order.
  public var paragraphs: [Paragraph] { sections.flatMap(\.paragraphs) }

  /// The document as one text, paragraphs separated by blank lines (what a prompt
  /// holds when the document goes in whole). Readers put a headline that belongs to
  /// the text (an article's title) in a paragraph of its own; `title` is metadata.
  public var text: String { paragraphs.map(\.text).joined(separator: Self.paragraphSeparator) }

  /// Between paragraphs in `text` and in chunks.
  public static let paragraphSeparator = "\n\n"
}
