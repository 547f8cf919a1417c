import NightdeskIngest
import Testing

/// News as JSON Lines, RSS 2.0 and Atom.
@Suite struct NewsReaderTests {
  @Test func jsonLinesSample() throws {
    let result = NewsJSONLReader.read(IngestFixtures.sample("news-2026-11-27.jsonl"))
    #expect(result.errors.isEmpty)
    #expect(result.documents.count == 4)
    let harrowgate = result.documents[2]
    #expect(harrowgate.kind == .newsArticle)
    #expect(harrowgate.title == "Harrowgate Mills warns on bakery margins")
    #expect(harrowgate.metadata["url"] == "https://news.example/harrowgate/bakery")
    #expect(harrowgate.metadata["tickers"] == "HGM")
    #expect(harrowgate.paragraphs.count == 3)  // the headline and two paragraphs
    #expect(harrowgate.paragraphs.allSatisfy { $0.location.item == 3 && $0.location.line == 3 })
  }

  @Test func aBadLineIsReportedAndTheOthersAreRead() throws {
    let lines = [
      #"{"title": "One", "body": "First article."}"#,
      #"{"title": "Two", "body": "Second" "#,                 // invalid JSON
      "",
      #"{"title": "No body"}"#,                              // no text
      #"[1, 2]"#,                                            // not an object
      #"{"title": "Four", "body": "caf"#,                    // bad UTF-8 follows
    ]
    var bytes = Array(lines.joined(separator: "\n").utf8)
    bytes += [0xC3, 0x28] + Array("\"}\n".utf8)
    bytes += Array(#"{"title": "Five", "text": "Last article."}"#.utf8)
    let path = try IngestFixtures.write(bytes, named: "news.jsonl")
    let result = NewsJSONLReader.read(path)
    #expect(result.documents.map(\.title) == ["One", "Five"])
    #expect(result.documents.last?.paragraphs.first?.location.item == 6)  // the sixth non-blank line
    let descriptions = result.errors.map(\.description)
    #expect(descriptions.count == 4, "\(descriptions)")
    #expect(descriptions[0].hasPrefix("\(path): line 2 (byte 43): invalid JSON at column 34 (byte 77):"))
    #expect(descriptions[1] == "\(path): line 4 (byte 79): the article has no text (none of body, text, content, article, summary, description is a non-empty string)")
    #expect(descriptions[2] == "\(path): line 5 (byte 100): expected an article object, found an array")
    #expect(descriptions[3] == "\(path): byte 137: invalid UTF-8 on line 6")
  }

  @Test func anOverlongLineIsSkippedWithoutBeingKept() throws {
    let long = #"{"title": "Long", "body": ""# + String(repeating: "x", count: 5_000) + "\"}"
    let path = try IngestFixtures.write(long + "\n" + #"{"title": "Short", "body": "ok"}"# + "\n", named: "long.jsonl")
    let result = NewsJSONLReader.read(path, limits: InputLimits(maxItemBytes: 1_000))
    #expect(result.documents.map(\.title) == ["Short"])
    #expect(result.errors.map(\.description) == ["\(path): line 1 (byte 0): the line has \(long.utf8.count) bytes; at most 1000 are read"])
  }

  @Test func rssItemsWithHTMLDescriptions() throws {
    let result = FeedReader.read(IngestFixtures.sample("news-2026-11-27.rss"))
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.documents.map(\.title) == ["Port of Tessaly strike ends", "Veldora Bank raises rates", "Harrowgate Mills warns on bakery margins"])
    let port = result.documents[0]
    #expect(port.paragraphs.map(\.text) == [
      "Port of Tessaly strike ends",
      "Dock workers at the Port of Tessaly returned to work on Thursday after a nine-day strike that held up an estimated 310 container ships.",
      "The union accepted a 7.5% pay rise over two years.",
    ])
    #expect(port.metadata["url"] == "https://news.example/tessaly/port-strike-ends")
    #expect(port.metadata["source"] == "Tessaly Wire — Business")
    #expect(port.paragraphs[1].location == SourceLocation(section: "Port of Tessaly strike ends", line: 7, item: 1))
    #expect(result.documents[1].paragraphs.count == 3)  // CDATA content:encoded
    #expect(result.documents[2].metadata["author"] == "Tessaly Wire staff")
  }

  @Test func atomEntries() throws {
    let result = FeedReader.read(IngestFixtures.sample("news-2026-11-27.atom"))
    #expect(result.errors.isEmpty)
    let entry = try #require(result.documents.first)
    #expect(entry.title == "NovaPay outage hits weekend shoppers")
    #expect(entry.metadata["url"] == "https://news.example/novapay/outage")
    #expect(entry.metadata["author"] == "Tessaly Wire staff")
  }

  @Test func aFeedWithoutItemsIsAnError() throws {
    let path = try IngestFixtures.write(#"<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>"#, named: "empty.rss")
    let result = FeedReader.read(path)
    #expect(result.documents.isEmpty)
    #expect(result.errors.map(\.description) == ["\(path): feed without items (no <item> or <entry>)"])
  }

  @Test func malformedXMLKeepsTheItemsBeforeTheBreak() throws {
    let xml = "<rss><channel>\n<item><title>A</title><description>Text A</description></item>\n<item><title>B</title><description>Text B</desc>\n</channel></rss>"
    let path = try IngestFixtures.write(xml, named: "broken.rss")
    let result = FeedReader.read(path)
    #expect(result.documents.first?.title == "A")  // B may come from libxml2's recovery
    let error = try #require(result.errors.first)
    #expect(error.description.hasPrefix("\(path): line 3 (byte "), "\(error)")
    #expect(error.reason.hasPrefix("invalid XML"))
  }

  @Test func notAFeed() throws {
    let path = try IngestFixtures.write("<html><body>hi</body></html>", named: "page.xml")
    #expect(FeedReader.read(path).errors.map(\.reason) == ["not an RSS or Atom feed (the root element is <html>)"])
  }
}
