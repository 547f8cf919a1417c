import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `submit --type`, a worker, then `report`: documents in, the morning report out, through
/// the nightdesk binary on a private redis-server.
@Suite(.serialized) struct TypedBatchCLITests {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples/ingest").path
  static let types = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path

  static func queueArguments(_ server: RedisServerProcess) -> [String] {
    ["--redis", "unix://\(server.socketPath)", "--queue", "t"]
  }

  static func submit(_ server: RedisServerProcess, type: String, files: [String], types: String = types) async throws
    -> JSONValue
  {
    let outcome = try await NightdeskBinary.run(
      ["submit", "--type", type] + files + ["--types-dir", types, "--model", TestPaths.smolLM2.path, "--json"]
        + queueArguments(server))
    #expect(outcome.status == 0, "\(outcome.stderr)")
    return try JSONParser.parse(outcome.stdout)
  }

  @Test func submitTypeGivesTheContractAndRejectsABadFileWithItsReason() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let folder = try TestPaths.temporaryDirectory("typed-submit")
    let bad = folder.appendingPathComponent("empty.rss").path
    try Data(#"<rss version="2.0"><channel><title>x</title></channel></rss>"#.utf8).write(to: URL(fileURLWithPath: bad))
    let json = try await Self.submit(server, type: "news-digest", files: ["\(Self.samples)/news-2026-11-27.jsonl", bad])
    #expect(json.objectValue?.keys == ["batch", "jobs", "rejected"])
    #expect(json["batch"]?.stringValue?.isEmpty == false)
    // Four articles, each one chunk and its synthesis.
    #expect(json["jobs"] == .int(8))
    #expect(json["rejected"] == [["file": .string(bad), "error": .string("\(bad): feed without items (no <item> or <entry>)")]])
  }

  @Test func aKeyedTypedSubmitRunTwiceQueuesNothingTwice() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let files = ["\(Self.samples)/contract-supply-agreement.md"]
    var arguments = ["submit", "--type", "contract-risk"] + files + ["--types-dir", Self.types, "--model",
      TestPaths.smolLM2.path, "--idempotency-key", "night-1", "--json"]
    arguments += Self.queueArguments(server)
    let first = try await NightdeskBinary.run(arguments)
    let second = try await NightdeskBinary.run(arguments)
    #expect(first.status == 0 && second.status == 0, "\(first.stderr) \(second.stderr)")
    let (a, b) = (try JSONParser.parse(first.stdout), try JSONParser.parse(second.stdout))
    #expect(a["batch"] == b["batch"] && a["jobs"] == b["jobs"])
    let status = try await NightdeskBinary.run(["status", try #require(a["batch"]?.stringValue), "--json"]
      + Self.queueArguments(server))
    #expect(try JSONParser.parse(status.stdout)["total"] == a["jobs"], "\(status.stdout)")
  }

  @Test func anEchoRunReportsEveryDocumentWithItsCitations() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let pdf = "\(Self.samples)/annual-report-harrowgate-2025.pdf"
    let submitted = try await Self.submit(server, type: "annual-report", files: [pdf])
    let batch = try #require(submitted["batch"]?.stringValue)
    #expect(submitted["jobs"] == .int(2))
    // The synthesis waits, held, and counts as unfinished.
    let before = try JSONParser.parse(try await NightdeskBinary.run(["status", batch, "--json"]
      + Self.queueArguments(server)).stdout)
    #expect(before["total"] == 2 && before["queued"] == 1 && before["held"] == 1 && before["done"] == false, "\(before)")
    let worker = try await NightdeskBinary.run(["worker", "--echo", "--drain", "--types-dir", Self.types]
      + Self.queueArguments(server))
    #expect(worker.status == 0, "\(worker.stderr)")
    let after = try JSONParser.parse(try await NightdeskBinary.run(["status", batch, "--json"]
      + Self.queueArguments(server)).stdout)
    #expect(after["succeeded"] == 2 && after["held"] == nil && after["done"] == true, "\(after)")
    let watch = try await NightdeskBinary.run(["watch", batch] + Self.queueArguments(server))
    #expect(watch.status == 0, "\(watch.stderr)")

    let report = try await NightdeskBinary.run(["report", batch, "--format", "json"] + Self.queueArguments(server))
    #expect(report.status == 0, "\(report.stderr)")
    let json = try JSONParser.parse(report.stdout)
    #expect(json.objectValue?.keys == ["batch", "documents", "failures"])
    let document = try #require(json["documents"]?.arrayValue?.first)
    // The contract's fields, then how many stages the synthesis took (one: the echo has no context limit).
    #expect(document.objectValue?.keys == ["source", "job_type", "status", "result", "error", "reduce_stages"])
    #expect(document["reduce_stages"] == 1)
    #expect(document["source"] == .string(pdf) && document["job_type"] == "annual-report")
    // An echo is not a schema-valid object: said so, and listed as a failure.
    #expect(document["status"] == "invalid" && document["result"] == .null)
    #expect(document["error"]?.stringValue?.hasPrefix("the synthesis answer is not a JSON object") == true)
    #expect(json["failures"]?.arrayValue?.first?["source"] == .string(pdf))

    let markdown = try await NightdeskBinary.run(["report", batch] + Self.queueArguments(server))
    #expect(markdown.stdout.contains("## Harrowgate") || markdown.stdout.contains("## \(pdf)"))
    #expect(markdown.stdout.contains("chunk 1 [pp. 1-4"), "\(markdown.stdout)")
    #expect(markdown.stdout.contains("## Failures"))
    let csv = try await NightdeskBinary.run(["report", batch, "--format", "csv"] + Self.queueArguments(server))
    #expect(csv.stdout.hasPrefix("source,job_type,status,error\r\n"))
    let html = try await NightdeskBinary.run(["report", batch, "--format", "html"] + Self.queueArguments(server))
    #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("pp. 1-4"))
  }

  /// The real SmolLM2 worker on the contract sample, with the type's answers cut short
  /// so it runs in seconds (to 12 tokens, the bytes of `{"flags":[]}`, the schema's shortest
  /// document: `submit --type` refuses less): the chunk jobs, then the synthesis over their answers.
  @Test func theRealModelRunsAContractThroughChunksAndSynthesis() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let folder = try TestPaths.temporaryDirectory("typed-e2e")
    var yaml = try String(contentsOfFile: "\(Self.types)/contract-risk.yaml", encoding: .utf8)
    yaml = yaml.replacingOccurrences(of: "max_tokens: 512", with: "max_tokens: 12")
      .replacingOccurrences(of: "synthesis_max_tokens: 1024", with: "synthesis_max_tokens: 12")
    try yaml.write(toFile: folder.appendingPathComponent("contract-risk.yaml").path, atomically: true, encoding: .utf8)
    let contract = "\(Self.samples)/contract-supply-agreement.md"
    let submitted = try await Self.submit(server, type: "contract-risk", files: [contract], types: folder.path)
    let batch = try #require(submitted["batch"]?.stringValue)
    let jobs = try #require(submitted["jobs"]?.intValue)
    #expect(jobs >= 2)
    let worker = try await NightdeskBinary.run(
      ["worker", "--model", TestPaths.smolLM2.path, "--drain", "--threads", "2", "--json", "--types-dir", folder.path]
        + Self.queueArguments(server))
    #expect(worker.status == 0, "\(worker.stderr)")
    #expect(try JSONParser.parse(worker.stdout)["succeeded"] == .int(Int64(jobs)))

    let report = try await NightdeskBinary.run(["report", batch, "--format", "json"] + Self.queueArguments(server))
    let document = try #require(try JSONParser.parse(report.stdout)["documents"]?.arrayValue?.first)
    #expect(document["source"] == .string(contract) && document["job_type"] == "contract-risk")
    // Twelve tokens cannot hold a schema-valid object without constrained decoding: the
    // status says whether it is one, and never passes an invalid one as a result.
    let status = try #require(document["status"]?.stringValue)
    #expect(status == "succeeded" ? document["result"]?.objectValue != nil : status == "invalid")
    let markdown = try await NightdeskBinary.run(["report", batch] + Self.queueArguments(server))
    #expect(markdown.stdout.contains("chunk 1 [§"), "\(markdown.stdout)")
  }
}
