/// HTML documents: the text without markup, `h1`–`h6` as section headings, `<title>`
/// (else the first heading) as the title. Must be UTF-8 (or ASCII).
public enum HTMLReader {
  public static func read(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    switch FileBytes.read(path, limit: limits.maxDocumentBytes) {
    case .failure(let error): return .failure(error)
    case .success(let bytes):
      if let offset = UTF8Text.firstInvalidOffset(bytes) {
        return .failure(IngestError(file: path, position: .byte(offset), reason: "invalid UTF-8 (only UTF-8 HTML is read)"))
      }
      return ReadResult(documents: [document(bytes, source: path)])
    }
  }

  static func document(_ bytes: [UInt8], source: String) -> Document {
    let html = HTMLText(bytes)
    var builder = SectionBuilder()
    var firstHeading: String?
    for block in html.blocks {
      switch block {
      case .heading(let text, let line):
        builder.heading(text, at: SourceLocation(line: line))
        if firstHeading == nil { firstHeading = text }
      case .paragraph(let text, let line):
        builder.paragraph(text, at: SourceLocation(line: line))
      }
    }
    return Document(source: source, kind: .html, title: html.title ?? firstHeading, sections: builder.sections)
  }
}
