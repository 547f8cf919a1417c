import NightdeskIngest
import Testing

/// Plain text and Markdown.
@Suite struct TextReaderTests {
  @Test func plainTextHeadingsAndLines() throws {
    let document = try #require(PlainTextReader.read(IngestFixtures.sample("annual-report-harrowgate-2025.txt")).documents.first)
    #expect(document.sections.compactMap(\.title).contains("5. Principal risks"))
    let risks = try #require(document.paragraphs.first { $0.text.hasPrefix("The directors name") })
    #expect(risks.location == SourceLocation(section: "5. Principal risks", line: 38))
  }

  @Test func markdownSectionsFollowTheHeadings() throws {
    let document = try #require(MarkdownReader.read(IngestFixtures.sample("contract-supply-agreement.md")).documents.first)
    #expect(document.title == "Supply Agreement")
    #expect(document.sections.compactMap(\.title) == [
      "Supply Agreement", "1. Term and renewal", "2. Exclusivity", "3. Price and payment", "4. Liability", "5. Governing law",
    ])
    let renewal = try #require(document.paragraphs.first { $0.text.hasPrefix("1.2 It renews automatically") })
    #expect(renewal.location == SourceLocation(section: "1. Term and renewal", line: 10))
  }

  @Test func setextHeadingsAndCRLF() throws {
    let path = try IngestFixtures.write("Title\r\n=====\r\n\r\nFirst para\r\nstill first.\r\n\r\nSecond\r\n", named: "crlf.md")
    let document = try #require(MarkdownReader.read(path).documents.first)
    #expect(document.sections.compactMap(\.title) == ["Title"])
    #expect(document.paragraphs.map(\.text) == ["Title", "First para\nstill first.", "Second"])
    #expect(document.paragraphs.map { $0.location.line } == [1, 4, 7])
  }

  @Test func badUTF8IsNamedByOffset() throws {
    let path = try IngestFixtures.write(Array("ok line\nbad ".utf8) + [0xFF] + Array(" here\n".utf8), named: "bad.txt")
    let result = PlainTextReader.read(path)
    #expect(result.documents.isEmpty)
    #expect(result.errors.map(\.description) == ["\(path): byte 12: invalid UTF-8"])
  }

  @Test func detectionByExtensionAndFamily() {
    #expect(InputKind.detect(path: "a/b.PDF") == .pdf)
    #expect(InputKind.detect(path: "x.jsonl", family: .news) == .newsJSONL)
    #expect(InputKind.detect(path: "x.jsonl", family: .social) == .socialJSONL)
    #expect(InputKind.detect(path: "x.json") == .socialJSON)
    #expect(InputKind.detect(path: "feed.rss") == .feed)
    #expect(InputKind.detect(path: "noext") == nil)
    let result = DocumentReader().read("whatever.docx")
    #expect(result.errors.first?.reason.hasPrefix("unknown kind of file") == true)
    let wrongFamily = DocumentReader().read(IngestFixtures.sample("contract-supply-agreement.md"), family: .news)
    #expect(wrongFamily.errors.first?.reason == "a markdown file is not news input")
  }
}
