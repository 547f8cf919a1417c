/// Why a file, or one item of it, could not be read: the file, where in it, and why.
/// Readers return these beside the documents they could read; one bad item never
/// stops the others.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Where in the file the problem is.
  public enum Position: Sendable, Equatable {
    /// The file as a whole (missing, too large, not a PDF).
    case file
    /// A 1-based line, with the byte offset where that line starts.
    case line(Int, byte: Int)
    /// A byte offset from the start of the file.
    case byte(Int)
    /// A 1-based PDF page.
    case page(Int)
    /// The 1-based item (article, post) of a feed or dump, starting at a byte offset when known.
    case item(Int, byte: Int?)
  }

  public var file: String
  public var position: Position
  public var reason: String

  public init(file: String, position: Position = .file, reason: String) {
    self.file = file
    self.position = position
    self.reason = reason
  }

  /// "news.jsonl: line 7 (byte 1204): invalid JSON at column 3: ..."
  public var description: String {
    switch position {
    case .file: return "\(file): \(reason)"
    case .line(let line, let byte): return "\(file): line \(line) (byte \(byte)): \(reason)"
    case .byte(let byte): return "\(file): byte \(byte): \(reason)"
    case .page(let page): return "\(file): page \(page): \(reason)"
    case .item(let item, let byte?): return "\(file): item \(item) (byte \(byte)): \(reason)"
    case .item(let item, nil): return "\(file): item \(item): \(reason)"
    }
  }
}

/// What a reader got from one file: the documents it could read and an error for
/// each part it could not (an empty `documents` with errors means nothing was usable).
public struct ReadResult: Sendable, Equatable {
  public var documents: [Document]
  public var errors: [IngestError]

  public init(documents: [Document] = [], errors: [IngestError] = []) {
    self.documents = documents
    self.errors = errors
  }

  /// A file that yielded nothing but this error.
  public static func failure(_ error: IngestError) -> ReadResult { ReadResult(errors: [error]) }
}
