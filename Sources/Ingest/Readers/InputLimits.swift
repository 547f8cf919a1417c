/// Bounds on untrusted input, checked before and while reading, so a huge or
/// hostile file costs bounded memory and time. The defaults suit a night's inputs:
/// a few hundred pages of annual report, a day's news, a large social dump (streamed).
public struct InputLimits: Sendable, Equatable {
  /// Files read whole (HTML, Markdown, text, RSS/Atom, a JSON object): 64 MiB.
  public var maxDocumentBytes: Int
  /// Files streamed line by line or element by element (JSONL, JSON arrays): 4 GiB.
  public var maxStreamBytes: Int
  /// A PDF file: 512 MiB.
  public var maxPDFBytes: Int
  /// Pages read from one PDF: 5,000.
  public var maxPages: Int
  /// Text pdftotext may print for one PDF: 128 MiB (an image-only page prints nothing,
  /// a hostile one could print without end).
  public var maxExtractedBytes: Int
  /// Seconds one pdftotext or pdfinfo run may take: 120.
  public var subprocessTimeoutSeconds: Int
  /// One JSONL line or one element of a JSON array: 8 MiB; longer ones are skipped with an error.
  public var maxItemBytes: Int
  /// Items (articles, posts, lines) read from one file: 10,000,000.
  public var maxItems: Int
  /// Nesting of replies in a social thread, and of elements in HTML/XML: 64.
  public var maxDepth: Int

  public init(
    maxDocumentBytes: Int = 64 << 20, maxStreamBytes: Int = 4 << 30, maxPDFBytes: Int = 512 << 20,
    maxPages: Int = 5_000, maxExtractedBytes: Int = 128 << 20, subprocessTimeoutSeconds: Int = 120,
    maxItemBytes: Int = 8 << 20, maxItems: Int = 10_000_000, maxDepth: Int = 64
  ) {
    self.maxDocumentBytes = maxDocumentBytes
    self.maxStreamBytes = maxStreamBytes
    self.maxPDFBytes = maxPDFBytes
    self.maxPages = maxPages
    self.maxExtractedBytes = maxExtractedBytes
    self.subprocessTimeoutSeconds = subprocessTimeoutSeconds
    self.maxItemBytes = maxItemBytes
    self.maxItems = maxItems
    self.maxDepth = maxDepth
  }
}
