import NightdeskSupport
import Testing

@Suite struct CSVTableTests {
  /// A reader written from RFC 4180's grammar, independent of the writer.
  static func parse(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var scalars = Array(text.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
      if quoted {
        if scalar == "\"" {
          if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars.removeFirst() } else { quoted = false }
        } else {
          field.unicodeScalars.append(scalar)
        }
      } else if scalar == "\"" {
        quoted = true
      } else if scalar == "," {
        row.append(field); field = ""
      } else if scalar == "\r", scalars.first == "\n" {
        scalars.removeFirst()
        row.append(field); rows.append(row); row = []; field = ""
      } else {
        field.unicodeScalars.append(scalar)
      }
    }
    return rows
  }

  @Test func fieldsWithCommasQuotesAndNewlinesRoundTrip() {
    var table = CSVTable(header: ["id", "text"])
    let texts = ["plain", "a, b", "say \"hi\"", "two\nlines", "cr\r\nlf", "", "ünïcode ✓", "\"", ",,,"]
    for (index, text) in texts.enumerated() { table.append([.plain(String(index)), .text(text)]) }
    let rows = Self.parse(table.text)
    #expect(rows.first == ["id", "text"])
    #expect(rows.dropFirst().map { $0[1] } == texts)
    #expect(rows.count == texts.count + 1 && rows.allSatisfy { $0.count == 2 })
  }

  @Test func textThatASpreadsheetWouldRunAsAFormulaIsNeutralised() {
    var table = CSVTable(header: ["text", "number"])
    table.append([.text("=HYPERLINK(\"http://x\")"), .plain("-3")])
    table.append([.text("+1"), .plain("4")])
    table.append([.text("@SUM(A1)"), .empty])
    table.append([.text("fine = ok"), .plain("5")])
    let rows = Self.parse(table.text).dropFirst().map { $0 }
    #expect(rows.map { $0[0] } == ["'=HYPERLINK(\"http://x\")", "'+1", "'@SUM(A1)", "fine = ok"])
    #expect(rows.map { $0[1] } == ["-3", "4", "", "5"])
  }

  @Test func plainFieldsAreUnquotedAndLinesEndInCRLF() {
    var table = CSVTable(header: ["a", "b"])
    table.append([.plain("1"), .plain("x")])
    #expect(table.text == "a,b\r\n1,x\r\n")
  }
}
