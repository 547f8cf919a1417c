/// RFC 4180 CSV: a header row and data rows, every field quoted only when it must be
/// (a comma, a double quote, CR or LF inside), lines ended by CRLF as the RFC says.
///
/// Cells holding free text (model answers, errors, caller-chosen names) can be made
/// safe to open in a spreadsheet: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return would run as a formula, so it is prefixed with a single quote
/// (OWASP's advice for CSV injection). Numbers and ids go in as they are.
public struct CSVTable: Sendable {
  public let header: [String]
  public private(set) var rows: [[String]] = []

  public init(header: [String]) { self.header = header }

  public enum Cell: Sendable {
    /// Written as is: numbers, states, ids the program made.
    case plain(String)
    /// Text from a model, a document or a caller: neutralised if it looks like a formula.
    case text(String)
    case empty
  }

  public mutating func append(_ cells: [Cell]) {
    precondition(cells.count == header.count, "a CSV row has \(cells.count) cells for \(header.count) columns")
    rows.append(cells.map { cell in
      switch cell {
      case .plain(let value): return value
      case .text(let value): return Self.neutralised(value)
      case .empty: return ""
      }
    })
  }

  public var text: String {
    var out = Self.line(header)
    for row in rows { out += Self.line(row) }
    return out
  }

  static func line(_ fields: [String]) -> String { fields.map(quoted).joined(separator: ",") + "\r\n" }

  static func quoted(_ field: String) -> String {
    guard field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D })
    else { return field }
    return "\"" + field.replacingQuotes() + "\""
  }

  static func neutralised(_ text: String) -> String {
    guard let first = text.utf8.first, "=+-@\t\r".utf8.contains(first) else { return text }
    return "'" + text
  }
}

extension String {
  fileprivate func replacingQuotes() -> String {
    var out = ""
    out.reserveCapacity(utf8.count + 2)
    for scalar in unicodeScalars {
      if scalar == "\"" { out += "\"\"" } else { out.unicodeScalars.append(scalar) }
    }
    return out
  }
}
