/// Where a streaming reader puts what it reads: each document goes to `deliver` as soon
/// as it is read (so a dump of millions of posts never sits in memory whole), errors
/// are kept, and the count says whether anything was read at all.
struct DocumentSink {
  private let deliver: (Document) -> Void
  private(set) var count = 0
  var errors: [IngestError] = []

  init(_ deliver: @escaping (Document) -> Void) { self.deliver = deliver }

  mutating func add(_ document: Document) {
    count += 1
    deliver(document)
  }

  /// Runs a streaming read and collects its documents into a `ReadResult`.
  static func collect(_ read: ((Document) -> Void) -> [IngestError]) -> ReadResult {
    var documents: [Document] = []
    let errors = read { documents.append($0) }
    return ReadResult(documents: documents, errors: errors)
  }
}
