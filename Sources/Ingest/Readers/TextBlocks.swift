import Foundation

/// Plain text cut into blocks at blank lines, each with the number of its first line:
/// the paragraphs of text files, Markdown and PDF pages.
struct TextBlock: Equatable {
  /// The block's lines joined by `\n`, each without trailing spaces.
  var text: String
  /// 1-based line of its first line, counted from `firstLine` of `split`.
  var line: Int
  var lineCount: Int

  /// Blocks of `text`, whose first line is line `firstLine`. Layout spacing inside a
  /// line is kept (pdftotext -layout aligns table columns with it).
  static func split(_ text: Substring, firstLine: Int = 1) -> [TextBlock] {
    var blocks: [TextBlock] = []
    var current: [Substring] = []
    var start = firstLine
    var number = firstLine
    func flush() {
      if !current.isEmpty {
        blocks.append(TextBlock(text: current.joined(separator: "\n"), line: start, lineCount: current.count))
        current.removeAll()
      }
    }
    // "\r\n" is one Character in Swift, so it is made a "\n" before splitting.
    let lines = text.contains("\r\n") ? Substring(text.replacingOccurrences(of: "\r\n", with: "\n")) : text
    for rawLine in lines.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = rawLine.trimmingTrailingWhitespace()
      if line.allSatisfy(\.isWhitespace) {
        flush()
      } else {
        if current.isEmpty { start = number }
        current.append(line)
      }
      number += 1
    }
    flush()
    return blocks
  }

  /// Whether the block reads as a heading of an unmarked text (a PDF, a .txt report):
  /// one short line without a closing full stop, starting with a capital or a section
  /// number ("3. Risks", "RISK FACTORS", "Outlook").
  var looksLikeHeading: Bool {
    guard lineCount == 1 else { return false }
    let line = text.trimmingCharacters(in: .whitespaces)
    guard line.count >= 2, line.count <= 80, let first = line.unicodeScalars.first else { return false }
    if let last = line.last, ".,;:!?".contains(last) { return false }
    // A table row of numbers is not a heading.
    let digits = line.unicodeScalars.filter { CharacterSet.decimalDigits.contains($0) }.count
    if digits * 3 > line.unicodeScalars.count { return false }
    // Columns (runs of spaces from -layout) mean a table, not a heading.
    if line.contains("   ") { return false }
    return CharacterSet.uppercaseLetters.contains(first) || CharacterSet.decimalDigits.contains(first)
  }
}

extension StringProtocol {
  /// Without trailing spaces, tabs and carriage returns.
  func trimmingTrailingWhitespace() -> Substring {
    var end = endIndex
    while end > startIndex {
      let before = index(before: end)
      guard self[before] == " " || self[before] == "\t" || self[before] == "\r" else { break }
      end = before
    }
    return Substring(self[startIndex..<end])
  }
}
