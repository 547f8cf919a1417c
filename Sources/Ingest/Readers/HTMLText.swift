import Foundation

/// The readable text of HTML, as blocks: tags stripped, scripts, styles and comments
/// dropped, character references decoded, whitespace collapsed; headings (`h1`–`h6`)
/// reported as such. A scanner, not a DOM: it never recurses, so nesting costs nothing,
/// and broken markup (unclosed tags, stray `<`) degrades to text rather than failing.
struct HTMLText {
  enum Block: Equatable {
    case heading(String, line: Int)
    case paragraph(String, line: Int)
  }

  private(set) var blocks: [Block] = []
  private(set) var title: String?

  /// Elements whose content is not text.
  static let skipped: Set<String> = ["script", "style", "noscript", "template", "svg", "math", "iframe", "object", "head"]
  /// Elements that end a paragraph where they open or close.
  static let blockElements: Set<String> = [
    "p", "div", "section", "article", "aside", "header", "footer", "nav", "main", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "blockquote", "pre", "figure", "figcaption", "form", "hr", "address",
    "body", "html", "caption", "details", "summary",
  ]

  init(_ bytes: [UInt8]) {
    var scanner = Scanner(bytes: bytes)
    scanner.run()
    blocks = scanner.blocks
    title = scanner.title
  }

  private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var blocks: [Block] = []
    var title: String?
    var text: [UInt8] = []
    var textLine = 1
    var headingOpen = false
    var titleText: [UInt8]?

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func run() {
      while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: "<"), index + 1 < bytes.count {
          let next = bytes[index + 1]
          if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
            skipDeclaration()
            continue
          }
          if isLetter(next) || next == UInt8(ascii: "/") {
            tag()
            continue
          }
        }
        append(byte)
        index += 1
      }
      flush()
    }

    mutating func append(_ byte: UInt8) {
      if byte == 0x0A { line += 1 }
      let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C
      if titleText != nil {
        titleText!.append(isSpace ? 0x20 : byte)
        return
      }
      if isSpace {
        if let last = text.last, last != 0x20, last != 0x0A { text.append(0x20) }
        return
      }
      if text.isEmpty { textLine = line }
      text.append(byte)
    }

    /// `<!-- -->`, `<!DOCTYPE>`, `<![CDATA[ ]]>`, `<?xml ?>`: skipped (CDATA keeps its text).
    mutating func skipDeclaration() {
      if starts(with: "<!--") {
        skip(past: "-->", from: index + 4)
      } else if starts(with: "<![CDATA[") {
        let start = index + 9
        let end = find("]]>", from: start) ?? bytes.count
        index = start
        while index < end { append(bytes[index]); index += 1 }
        index = min(end + 3, bytes.count)
      } else {
        skip(past: ">", from: index + 2)
      }
    }

    mutating func tag() {
      var cursor = index + 1
      let closing = bytes[cursor] == UInt8(ascii: "/")
      if closing { cursor += 1 }
      let nameStart = cursor
      while cursor < bytes.count, isLetter(bytes[cursor]) || (bytes[cursor] >= 0x30 && bytes[cursor] <= 0x39) { cursor += 1 }
      let name = String(decoding: bytes[nameStart..<cursor], as: UTF8.self).lowercased()
      // The end of the tag, past quoted attribute values.
      var quote: UInt8?
      while cursor < bytes.count {
        let byte = bytes[cursor]
        if byte == 0x0A { line += 1 }
        if let open = quote {
          if byte == open { quote = nil }
        } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
          quote = byte
        } else if byte == UInt8(ascii: ">") {
          break
        }
        cursor += 1
      }
      let selfClosing = cursor > 0 && cursor < bytes.count && bytes[cursor - 1] == UInt8(ascii: "/")
      index = min(cursor + 1, bytes.count)
      guard !name.isEmpty else { return }

      if !closing, !selfClosing, HTMLText.skipped.contains(name) {
        if name == "head" {
          // The head holds the title; everything else in it is skipped below.
          skipHead()
        } else {
          skip(past: "</" + name, from: index, caseInsensitive: true)
          skip(past: ">", from: index)
        }
        return
      }
      switch name {
      case "title":
        if closing { endTitle() } else { titleText = [] }
      case "h1", "h2", "h3", "h4", "h5", "h6":
        if closing {
          if headingOpen { emit(heading: true) }
          headingOpen = false
        } else {
          flush()
          headingOpen = true
        }
      case "br":
        if !text.isEmpty { text.append(0x0A) }
      case "td", "th":
        if !text.isEmpty, text.last != 0x20 { text.append(0x20) }
      default:
        if HTMLText.blockElements.contains(name) { flush() }
      }
    }

    /// Inside `<head>`: only `<title>` is read.
    mutating func skipHead() {
      let end = find("</head", from: index, caseInsensitive: true) ?? bytes.count
      if let open = find("<title", from: index, caseInsensitive: true), open < end,
        let gt = find(">", from: open), gt < end {
        let close = find("</title", from: gt, caseInsensitive: true) ?? end
        // Lines are counted once, below, for the whole head.
        titleText = Array(bytes[(gt + 1)..<max(gt + 1, min(close, end))])
        endTitle()
      }
      countLines(from: index, to: end)
      index = end
      skip(past: ">", from: index)
    }

    mutating func endTitle() {
      if let bytes = titleText {
        let value = HTMLEntities.decode(String(decoding: bytes, as: UTF8.self))
          .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if title == nil, !value.isEmpty { title = value }
      }
      titleText = nil
    }

    mutating func flush() { emit(heading: headingOpen) }

    mutating func emit(heading: Bool) {
      let value = HTMLEntities.decode(String(decoding: text, as: UTF8.self))
        .trimmingCharacters(in: .whitespacesAndNewlines)
      text.removeAll(keepingCapacity: true)
      guard !value.isEmpty else { return }
      blocks.append(heading ? .heading(value, line: textLine) : .paragraph(value, line: textLine))
    }

    func starts(with literal: String) -> Bool {
      let utf8 = Array(literal.utf8)
      return index + utf8.count <= bytes.count && Array(bytes[index..<index + utf8.count]) == utf8
    }

    /// The offset of `literal` at or after `start` (ASCII case folded when asked).
    func find(_ literal: String, from start: Int, caseInsensitive: Bool = false) -> Int? {
      let needle = Array((caseInsensitive ? literal.lowercased() : literal).utf8)
      guard let first = needle.first, start <= bytes.count else { return nil }
      var cursor = start
      while cursor + needle.count <= bytes.count {
        let byte = caseInsensitive ? lower(bytes[cursor]) : bytes[cursor]
        if byte == first {
          var matched = true
          for offset in 1..<needle.count {
            let other = caseInsensitive ? lower(bytes[cursor + offset]) : bytes[cursor + offset]
            if other != needle[offset] { matched = false; break }
          }
          if matched { return cursor }
        }
        cursor += 1
      }
      return nil
    }

    /// Moves past `literal` (or to the end when it never comes), counting lines.
    mutating func skip(past literal: String, from start: Int, caseInsensitive: Bool = false) {
      let end = find(literal, from: start, caseInsensitive: caseInsensitive).map { $0 + literal.utf8.count } ?? bytes.count
      countLines(from: index, to: end)
      index = end
    }

    mutating func countLines(from start: Int, to end: Int) {
      guard start < end else { return }
      for byte in bytes[start..<end] where byte == 0x0A { line += 1 }
    }

    func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
  }
}
