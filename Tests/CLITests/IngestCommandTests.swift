import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk ingest` end to end: documents and chunks out, per-file errors and exit status 1.
@Suite struct IngestCommandTests {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples/ingest").path
  static let types = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path

  @Test func samplesAreReadAndChunkedWithTheirPages() async throws {
    let result = try await NightdeskBinary.run([
      "ingest", "\(Self.samples)/annual-report-harrowgate-2025.pdf", "--type", "annual-report", "--types-dir", Self.types,
      "--model", TestPaths.fixture("qwen3-tiny").path, "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try JSONParser.parse(result.stdout)
    let file = try #require(json["files"]?.arrayValue?.first)
    #expect(file["errors"]?.arrayValue == [])
    #expect(file["tokens_estimated"] == .bool(false))
    let chunks = try #require(file["documents"]?.arrayValue?.first?["chunks"]?.arrayValue)
    #expect(chunks.count == 1)  // 1,500-token chunks: the short report is one
    #expect(chunks.first?["pages"] == [1, 4])
  }

  @Test func aBadFileIsReportedAndTheOthersAreRead() async throws {
    let folder = try TestPaths.temporaryDirectory("ingest-cli")
    let bad = folder.appendingPathComponent("feed.rss").path
    try Data(#"<rss version="2.0"><channel><title>x</title></channel></rss>"#.utf8).write(to: URL(fileURLWithPath: bad))
    let result = try await NightdeskBinary.run(["ingest", bad, "\(Self.samples)/news-2026-11-27.jsonl"])
    #expect(result.status == 1)
    #expect(result.stderr == "error: \(bad): feed without items (no <item> or <entry>)\n")
    #expect(result.stdout.contains("\(Self.samples)/news-2026-11-27.jsonl: 4 documents, 0 errors"))
    #expect(result.stdout.contains("\(bad): 0 documents, 1 error"))
  }

  /// --json is written as the documents are read (a dump is never held whole): still one
  /// JSON object, every file with its documents and errors, a bad file among good ones.
  @Test func jsonOfSeveralFilesIsOneObject() async throws {
    let folder = try TestPaths.temporaryDirectory("ingest-cli-json")
    let bad = folder.appendingPathComponent("posts.jsonl").path
    try Data("{\"id\": \"p1\", \"text\": \"fine\"}\n{not json\n".utf8).write(to: URL(fileURLWithPath: bad))
    let result = try await NightdeskBinary.run(["ingest", "\(Self.samples)/news-2026-11-27.jsonl", bad, "--json"])
    #expect(result.status == 1)
    let files = try #require(try JSONParser.parse(result.stdout)["files"]?.arrayValue)
    #expect(files.map { $0["file"]?.stringValue } == ["\(Self.samples)/news-2026-11-27.jsonl", bad])
    #expect(files.map { $0["documents"]?.arrayValue?.count } == [4, 1])
    #expect(files[0]["errors"]?.arrayValue == [] && files[1]["errors"]?.arrayValue?.count == 1)
    #expect(files[0]["tokens_estimated"] == nil)
  }

  @Test func anUnknownTypeIsOneLine() async throws {
    let result = try await NightdeskBinary.run(["ingest", "\(Self.samples)/contract-supply-agreement.md", "--type", "nope",
                                          "--types-dir", Self.types])
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("Error: --type: \(Self.types)/nope.yaml: no job type \"nope\" (known: annual-report,"))
  }
}
