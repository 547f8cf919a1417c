import Foundation
import NightdeskIngest
import Testing

/// The PDF reader on the sample report (made with groff and ps2pdf) and on broken files.
@Suite struct PDFReaderTests {
  static let report = IngestFixtures.sample("annual-report-harrowgate-2025.pdf")

  @Test func readsEveryPageWithPageNumbersAndSections() throws {
    let result = PDFReader.read(Self.report)
    #expect(result.errors.isEmpty, "\(result.errors)")
    let document = try #require(result.documents.first)
    #expect(document.kind == .pdf)
    #expect(document.metadata["pages"] == "4")
    let paragraphs = document.paragraphs
    #expect(Set(paragraphs.compactMap(\.location.page)) == [1, 2, 3, 4])
    // Each figure is on the page it is printed on, under its heading.
    let revenue = try #require(paragraphs.first { $0.text.contains("Group revenue rose 9%") })
    #expect(revenue.location.page == 1)
    #expect(revenue.location.section?.contains("Chair") == true)
    let risks = try #require(paragraphs.first { $0.text.contains("three principal risks") })
    #expect(risks.location.page == 3)
    #expect(risks.location.section == "5. Principal risks")
    let outlook = try #require(paragraphs.first { $0.text.contains("recover towards £35 million") })
    #expect(outlook.location.page == 4)
    #expect(outlook.location.section == "6. Outlook")
    // The dividend sentence is a paragraph of its own, and footers such as "-2-" are gone.
    #expect(paragraphs.contains { $0.text.hasPrefix("The board proposes a final dividend") })
    #expect(!paragraphs.contains { $0.text.contains("-2-") || $0.text.contains("-3-") })
    // So is the running header of pages 2 to 4 ("Harrowgate Mills plc   -2-   Annual Report 2025").
    #expect(!paragraphs.contains { $0.location.page != 1 && $0.text.contains("Harrowgate Mills plc") })
    // The table keeps its columns on one line each.
    #expect(paragraphs.contains { $0.text.contains("Revenue (£m)") && $0.text.contains("412") && $0.text.contains("378") })
  }

  @Test func aTruncatedPDFIsAnErrorOrWhatCouldBeReadNeverACrash() throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.report)))
    for fraction in [0.1, 0.5, 0.9] {
      let path = try IngestFixtures.write(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), named: "truncated.pdf")
      let result = PDFReader.read(path)
      #expect(!result.documents.isEmpty || !result.errors.isEmpty)
      for error in result.errors {
        #expect(error.file == path)
        #expect(!error.reason.isEmpty)
      }
    }
  }

  @Test func aFileThatIsNoPDFIsRefusedBeforePoppler() throws {
    let path = try IngestFixtures.write("Annual report, plain text.\n", named: "report.pdf")
    let result = PDFReader.read(path)
    #expect(result.documents.isEmpty)
    #expect(result.errors.map(\.description) == ["\(path): byte 0: not a PDF (no %PDF- header in the first 1024 bytes)"])
  }

  @Test func aBrokenPDFBodyIsAnUnreadablePDF() throws {
    let path = try IngestFixtures.write("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", named: "broken.pdf")
    let result = PDFReader.read(path)
    #expect(result.documents.isEmpty)
    let error = try #require(result.errors.first)
    #expect(error.description.hasPrefix("\(path): "))
    #expect(error.reason.contains("PDF"), "\(error)")
  }

  @Test func aMissingFileIsNamed() {
    let result = PDFReader.read("/nonexistent/report.pdf")
    #expect(result.errors.map(\.description) == ["/nonexistent/report.pdf: no such file"])
  }
}
