import Foundation

/// Markdown documents: ATX (`# Title`) and setext (`Title` over `===`/`---`) headings
/// start sections; other blocks (paragraphs, lists, tables, code) are paragraphs, as written.
public enum MarkdownReader {
  public static func read(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    switch FileBytes.readText(path, limit: limits.maxDocumentBytes) {
    case .failure(let error): return .failure(error)
    case .success(let text): return ReadResult(documents: [document(text, source: path)])
    }
  }

  public static func document(_ text: String, source: String) -> Document {
    var builder = SectionBuilder()
    var title: String?
    for block in TextBlock.split(text[...]) {
      // A heading may share its block with the text under it.
      var lines = block.text.split(separator: "\n", omittingEmptySubsequences: false)
      var line = block.line
      var inFence = false
      var pending: [Substring] = []
      var pendingLine = line
      func flush() {
        if !pending.isEmpty { builder.paragraph(pending.joined(separator: "\n"), at: SourceLocation(line: pendingLine)) }
        pending.removeAll()
      }
      while !lines.isEmpty {
        let current = lines.removeFirst()
        defer { line += 1 }
        let trimmed = current.drop(while: { $0 == " " })
        if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle() }
        if !inFence, let heading = atxHeading(trimmed) {
          flush()
          builder.heading(heading, at: SourceLocation(line: line))
          if title == nil { title = heading }
          continue
        }
        if !inFence, let underline = lines.first, pending.isEmpty, isSetextUnderline(underline) {
          let heading = String(current).trimmingCharacters(in: .whitespaces)
          builder.heading(heading, at: SourceLocation(line: line))
          if title == nil { title = heading }
          lines.removeFirst()
          line += 1
          continue
        }
        if pending.isEmpty { pendingLine = line }
        pending.append(current)
      }
      flush()
    }
    return Document(source: source, kind: .markdown, title: title, sections: builder.sections)
  }

  /// The text of `# Heading ##`, nil when the line is not one (`#hashtag` is not).
  static func atxHeading(_ line: Substring) -> String? {
    let hashes = line.prefix(while: { $0 == "#" }).count
    guard (1...6).contains(hashes) else { return nil }
    let rest = line.dropFirst(hashes)
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
    var text = rest.trimmingCharacters(in: .whitespaces)
    while text.hasSuffix("#") { text.removeLast() }
    text = text.trimmingCharacters(in: .whitespaces)
    return text.isEmpty ? nil : text
  }

  static func isSetextUnderline(_ line: Substring) -> Bool {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    return trimmed.count >= 2 && (trimmed.allSatisfy { $0 == "=" } || trimmed.allSatisfy { $0 == "-" })
  }
}
