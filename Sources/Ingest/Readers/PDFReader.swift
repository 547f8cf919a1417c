import Foundation

/// PDF documents through poppler's tools (Debian's poppler-utils, installed by
/// Ops/setup): `pdfinfo` for the page count, then `pdftotext -layout` per range of
/// pages, whose form feeds separate the pages, so every paragraph keeps its page
/// number. A range that fails is reported with its pages and the others are kept.
public enum PDFReader {
  /// Pages per pdftotext run: a failure costs at most this many pages, and the
  /// output of one run stays small.
  public static let pagesPerRun = 50

  public static func read(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    // A file that does not start like a PDF is refused before any tool sees it.
    let head: Data
    switch FileBytes.open(path, limit: limits.maxPDFBytes) {
    case .failure(let error): return .failure(error)
    case .success(let handle):
      head = (try? handle.read(upToCount: 1024)) ?? Data()
      try? handle.close()
    }
    guard [UInt8](head).firstRange(of: Array("%PDF-".utf8)) != nil else {
      return .failure(IngestError(file: path, position: .byte(0), reason: "not a PDF (no %PDF- header in the first 1024 bytes)"))
    }
    let pageCount: Int
    switch countPages(path, limits: limits) {
    case .failure(let error): return .failure(error)
    case .success(let count): pageCount = count
    }
    var result = ReadResult()
    var errors: [IngestError] = []
    if pageCount > limits.maxPages {
      errors.append(IngestError(file: path, reason: "the PDF has \(pageCount) pages; only the first \(limits.maxPages) are read"))
    }
    let pages = min(pageCount, limits.maxPages)
    var builder = SectionBuilder()
    var extracted = 0
    var first = 1
    while first <= pages {
      let last = min(first + pagesPerRun - 1, pages)
      switch extract(path, pages: first...last, limits: limits, budget: limits.maxExtractedBytes - extracted) {
      case .failure(let error):
        errors.append(error)
        if error.reason.contains("more text than") { first = pages + 1; continue }
      case .success(let texts):
        let running = runningLines(texts)
        for (offset, text) in texts.enumerated() {
          extracted += text.utf8.count
          add(page: first + offset, text: text, dropping: running, to: &builder)
        }
      }
      first = last + 1
    }
    if builder.sections.isEmpty, errors.isEmpty {
      errors.append(IngestError(file: path, reason: "the PDF has no text (\(pages) pages; scanned images need OCR first)"))
    }
    if !builder.sections.isEmpty {
      let title = builder.sections.first(where: { $0.title != nil })?.title
      result.documents = [Document(source: path, kind: .pdf, title: title, sections: builder.sections,
                                   metadata: ["pages": String(pageCount)])]
    }
    result.errors = errors
    return result
  }

  /// The page count from `pdfinfo`, or the reason the PDF cannot be read.
  static func countPages(_ path: String, limits: InputLimits) -> Result<Int, IngestError> {
    let run: ToolRun
    do {
      run = try ToolRun.run("pdfinfo", [path], seconds: limits.subprocessTimeoutSeconds, maxOutput: 1 << 20)
    } catch {
      return .failure(IngestError(file: path, reason: "cannot run pdfinfo (install poppler-utils: Ops/setup): \(error)"))
    }
    if run.timedOut {
      return .failure(IngestError(file: path, reason: "unreadable PDF: pdfinfo took longer than \(limits.subprocessTimeoutSeconds) s"))
    }
    if run.status == 127 {
      return .failure(IngestError(file: path, reason: "pdfinfo is not installed (Debian's poppler-utils; Ops/setup installs it)"))
    }
    let text = String(decoding: run.output, as: UTF8.self)
    let pages = text.split(separator: "\n").first { $0.hasPrefix("Pages:") }
      .flatMap { Int($0.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) }
    guard run.status == 0, let pages else {
      let why = run.complaint.isEmpty ? "pdfinfo exited with status \(run.status)" : run.complaint
      return .failure(IngestError(file: path, reason: "unreadable PDF: \(why)"))
    }
    return .success(pages)
  }

  /// The text of each page in `pages`, in order.
  static func extract(_ path: String, pages: ClosedRange<Int>, limits: InputLimits, budget: Int) -> Result<[String], IngestError> {
    let position = IngestError.Position.page(pages.lowerBound)
    let label = pages.count == 1 ? "page \(pages.lowerBound)" : "pages \(pages.lowerBound)–\(pages.upperBound)"
    let run: ToolRun
    do {
      run = try ToolRun.run(
        "pdftotext", ["-layout", "-enc", "UTF-8", "-f", "\(pages.lowerBound)", "-l", "\(pages.upperBound)", path, "-"],
        seconds: limits.subprocessTimeoutSeconds, maxOutput: max(budget, 0))
    } catch {
      return .failure(IngestError(file: path, position: position, reason: "cannot run pdftotext: \(error)"))
    }
    if run.outputTruncated {
      return .failure(IngestError(file: path, position: position,
                                  reason: "more text than \(limits.maxExtractedBytes) bytes; the pages from here are not read"))
    }
    if run.timedOut {
      return .failure(IngestError(file: path, position: position,
                                  reason: "pdftotext took longer than \(limits.subprocessTimeoutSeconds) s on \(label)"))
    }
    guard run.status == 0 else {
      let why = run.complaint.isEmpty ? "pdftotext exited with status \(run.status)" : run.complaint
      return .failure(IngestError(file: path, position: position, reason: "cannot extract \(label): \(why)"))
    }
    // pdftotext is asked for UTF-8; anything else in its output is replaced, not trusted.
    let text = String(decoding: run.output, as: UTF8.self)
    var texts = text.split(separator: "\u{0C}", omittingEmptySubsequences: false).map(String.init)
    // A form feed ends every page, so the piece after the last one is empty.
    if texts.count > pages.count { texts.removeLast(texts.count - pages.count) }
    while texts.count < pages.count { texts.append("") }
    return .success(texts)
  }

  /// A page's paragraphs, located by page and line on the page. In -layout text a
  /// heading often sits on the line just above its paragraph, and paragraphs of prose
  /// are told apart by their first line's indent; page-number footers (`-2-`, `Page 2
  /// of 9`) are dropped.
  static func add(page: Int, text: String, dropping running: Set<String> = [], to builder: inout SectionBuilder) {
    let text = running.isEmpty ? text : text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { running.contains(runningKey($0)) ? "" : $0 }.joined(separator: "\n")
    for block in TextBlock.split(text[...]) {
      var lines = block.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      var line = block.line
      if lines.count == 1, isPageNumber(lines[0]) { continue }
      lines.removeAll(where: isPageNumber)
      guard !lines.isEmpty else { continue }
      let first = TextBlock(text: lines[0], line: line, lineCount: 1)
      if lines.count > 1, first.looksLikeHeading, lines[0].prefix(while: { $0 == " " }).count < 8 {
        builder.heading(lines[0].trimmingCharacters(in: .whitespaces), at: SourceLocation(page: page, line: line))
        lines.removeFirst()
        line += 1
      } else if lines.count == 1, first.looksLikeHeading {
        builder.heading(lines[0].trimmingCharacters(in: .whitespaces), at: SourceLocation(page: page, line: line))
        continue
      }
      for paragraph in paragraphs(lines, firstLine: line) {
        builder.paragraph(removingIndent(paragraph.text), at: SourceLocation(page: page, line: paragraph.line))
      }
    }
  }

  /// Running headers and footers: lines among the first or last two of a page that recur,
  /// page numbers aside, on at least half of the pages (and on three at least). They are
  /// the report's name on every page, not text, and would repeat in every chunk.
  static func runningLines(_ pages: [String]) -> Set<String> {
    guard pages.count >= 3 else { return [] }
    var pagesWith: [String: Int] = [:]
    for page in pages {
      let lines = page.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
      for key in Set((lines.prefix(2) + lines.suffix(2)).map(runningKey)) where !key.isEmpty { pagesWith[key, default: 0] += 1 }
    }
    let needed = max(3, (pages.count + 1) / 2)
    return Set(pagesWith.filter { $0.value >= needed }.keys)
  }

  /// A line as running headers are compared: digits as `#`, spaces collapsed.
  static func runningKey(_ line: Substring) -> String {
    var key = ""
    var space = false
    for character in line.trimmingCharacters(in: .whitespaces) {
      if character == " " || character == "\t" {
        space = true
        continue
      }
      if space { key.append(" ") }
      space = false
      key.append(character.isNumber ? "#" : character)
    }
    return key
  }

  /// Lines cut into paragraphs where a line of prose is indented deeper than the block's margin.
  static func paragraphs(_ lines: [String], firstLine: Int) -> [TextBlock] {
    let margin = lines.map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
    var blocks: [TextBlock] = []
    var current: [String] = []
    var start = firstLine
    for (offset, text) in lines.enumerated() {
      let indent = text.prefix(while: { $0 == " " }).count
      // Columns (runs of spaces inside the line) are a table row, never a paragraph start.
      let isProse = !text.drop(while: { $0 == " " }).contains("   ")
      if !current.isEmpty, indent >= margin + 2, isProse {
        blocks.append(TextBlock(text: current.joined(separator: "\n"), line: start, lineCount: current.count))
        current.removeAll()
      }
      if current.isEmpty { start = firstLine + offset }
      current.append(text)
    }
    if !current.isEmpty { blocks.append(TextBlock(text: current.joined(separator: "\n"), line: start, lineCount: current.count)) }
    return blocks
  }

  /// `-2-`, `2`, `Page 2`, `page 2 of 9`, `2 / 9`: a footer, not text.
  static func isPageNumber(_ line: String) -> Bool {
    var text = line.trimmingCharacters(in: .whitespaces).lowercased()
    guard !text.isEmpty, text.count <= 16 else { return false }
    if text.hasPrefix("page ") { text.removeFirst(5) }
    text = text.trimmingCharacters(in: CharacterSet(charactersIn: "-–— "))
    let parts = text.split(whereSeparator: { $0 == " " || $0 == "/" }).filter { $0 != "of" }
    return !parts.isEmpty && parts.count <= 2 && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
  }

  /// The block without the indentation its lines share (the page margin in -layout text).
  static func removingIndent(_ text: String) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let indent = lines.filter { !$0.isEmpty }.map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
    guard indent > 0 else { return text }
    return lines.map { String($0.dropFirst(min(indent, $0.count))) }.joined(separator: "\n")
  }
}
