import Foundation

/// Collects paragraphs into sections as a reader meets headings: a heading starts a
/// new section, and every paragraph records the section it is under.
struct SectionBuilder {
  private(set) var sections: [Section] = []

  var currentTitle: String? { sections.last?.title }

  /// Starts a section; the heading's text is also kept as a paragraph, so that no
  /// text of the document is lost from the chunks.
  mutating func heading(_ title: String, at location: SourceLocation) {
    let title = Self.trimmed(title)
    guard !title.isEmpty else { return }
    sections.append(Section(title: title))
    var location = location
    location.section = title
    sections[sections.count - 1].paragraphs.append(Paragraph(title, at: location))
  }

  /// Adds a paragraph under the current heading (blank ones are dropped).
  mutating func paragraph(_ text: String, at location: SourceLocation) {
    let text = Self.trimmed(text)
    guard !text.isEmpty else { return }
    if sections.isEmpty { sections.append(Section(title: nil)) }
    var location = location
    location.section = sections[sections.count - 1].title
    sections[sections.count - 1].paragraphs.append(Paragraph(text, at: location))
  }

  /// Without leading and trailing whitespace (Swift's own scan: Foundation's
  /// `trimmingCharacters` goes through UTF-16, which costs on million-post dumps).
  static func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return text }
    return String(scalars[first...last])
  }
}
