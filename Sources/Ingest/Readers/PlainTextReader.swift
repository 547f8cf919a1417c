import Foundation

/// Plain-text documents: paragraphs at blank lines, short capitalised lines as headings.
public enum PlainTextReader {
  public static func read(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    switch FileBytes.readText(path, limit: limits.maxDocumentBytes) {
    case .failure(let error): return .failure(error)
    case .success(let text): return ReadResult(documents: [document(text, source: path)])
    }
  }

  /// The document of a text already in memory.
  public static func document(_ text: String, source: String, kind: DocumentKind = .text) -> Document {
    var builder = SectionBuilder()
    for block in TextBlock.split(text[...]) {
      let location = SourceLocation(line: block.line)
      if block.looksLikeHeading { builder.heading(block.text, at: location) } else { builder.paragraph(block.text, at: location) }
    }
    return Document(source: source, kind: kind, title: builder.sections.first(where: { $0.title != nil })?.title,
                    sections: builder.sections)
  }
}
