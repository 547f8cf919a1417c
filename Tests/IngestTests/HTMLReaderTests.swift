import NightdeskIngest
import Testing

@Suite struct HTMLReaderTests {
  @Test func theSampleReportKeepsHeadingsAsSectionsAndDropsScripts() throws {
    let result = HTMLReader.read(IngestFixtures.sample("annual-report-harrowgate-2025.html"))
    #expect(result.errors.isEmpty)
    let document = try #require(result.documents.first)
    #expect(document.title == "Harrowgate Mills plc — Annual Report 2025")
    #expect(document.sections.compactMap(\.title) == [
      "Harrowgate Mills plc — Annual Report 2025", "Chair’s statement", "Segments", "Key figures", "Principal risks", "Outlook",
    ])
    let text = document.text
    #expect(!text.contains("analytics") && !text.contains("font-family") && !text.contains("fictional company, written"))
    #expect(!text.contains("<") && !text.contains("&pound;"))
    let revenue = try #require(document.paragraphs.first { $0.text.hasPrefix("2025 was a year") })
    #expect(revenue.text.contains("£412 million, helped by"))  // the line break is a space
    #expect(revenue.location.section == "Chair’s statement")
    #expect(revenue.location.line == 13)
    #expect(document.paragraphs.contains { $0.text == "Revenue (£m) 412 378" })
    #expect(document.paragraphs.contains { $0.text.hasPrefix("The board expects") && $0.text.contains("£35\u{00A0}million") })
  }

  @Test func brokenMarkupDegradesToText() throws {
    let html = "<p>Revenue &amp; profit &#x2014; up &unknown; 5 < 6<p>unclosed <b>bold<script>alert(1)"
    let path = try IngestFixtures.write(html, named: "broken.html")
    let document = try #require(HTMLReader.read(path).documents.first)
    #expect(document.paragraphs.map(\.text) == ["Revenue & profit — up &unknown; 5 < 6", "unclosed bold"])
  }

  @Test func invalidUTF8IsAnErrorAtItsByte() throws {
    let path = try IngestFixtures.write(Array("<p>caf".utf8) + [0xC3, 0x28] + Array("</p>".utf8), named: "latin1.html")
    let result = HTMLReader.read(path)
    #expect(result.documents.isEmpty)
    #expect(result.errors.map(\.description) == ["\(path): byte 6: invalid UTF-8 (only UTF-8 HTML is read)"])
  }
}
