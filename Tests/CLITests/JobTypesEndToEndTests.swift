import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// Every job type on its sample with the real SmolLM2 worker, the shipped types as they
/// are: every request ends with a schema-valid structured answer (constrained decoding
/// closes the value within max_tokens, marked `closed_by_budget` when the budget had to
/// shorten it), each synthesis reads its chunks' answers, and the report cites where
/// they came from.
@Suite(.serialized) struct JobTypesEndToEndTests {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples/ingest").path
  static let cases = [
    ("annual-report", "annual-report-harrowgate-2025.pdf", "pp. 1-4"),
    ("news-digest", "news-2026-11-27.jsonl", "[item 4, §NovaPay outage hits weekend shoppers]"),
    ("social-sentiment", "social-novapay-2026-11-27.jsonl", "[item 2]"),
    ("contract-risk", "contract-supply-agreement.md", "§2. Exclusivity"),
  ]

  @Test func everyJobTypeGivesSchemaValidResultsASynthesisOverItsChunksAndCitations() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    let queue = ["--redis", "unix://\(server.socketPath)", "--queue", "t"]
    let types = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path
    var batches: [String] = []
    for (type, sample, _) in Self.cases {
      let submitted = try await NightdeskBinary.run(
        ["submit", "--type", type, "\(Self.samples)/\(sample)", "--types-dir", types, "--model", model, "--json"] + queue)
      #expect(submitted.status == 0, "\(submitted.stderr)")
      batches.append(try #require(try JSONParser.parse(submitted.stdout)["batch"]?.stringValue))
    }
    let worker = try await NightdeskBinary.run(
      ["worker", "--model", model, "--drain", "--threads", "2", "--types-dir", types] + queue)
    #expect(worker.status == 0, "\(worker.stderr)")

    var requests = 0, closedByBudget = 0
    for ((type, _, citation), batch) in zip(Self.cases, batches) {
      let results = try JSONParser.parse(
        try await NightdeskBinary.run(["results", batch, "--format", "json"] + queue).stdout)
      var generatedByDocument: [String: Int] = [:]
      var synthesisPrompts: [String: Int] = [:]
      for record in results.arrayValue ?? [] {
        #expect(record["state"] == "succeeded", "\(type): \(record["job"] ?? .null) \(record["error"] ?? .null)")
        for request in record["result"]?["requests"]?.arrayValue ?? [] {
          let id = request["custom_id"]?.stringValue ?? ""
          // Parsed and valid against the type's schema: ended by itself, or closed by the budget and marked so.
          let closed = request["closed_by_budget"] == true
          #expect((request["finish_reason"] == "stop" || (closed && request["finish_reason"] == "length"))
            && request["structured"]?.objectValue != nil
            && request["error"] == nil, "\(type) \(id): \(request["finish_reason"] ?? .null) \(request["error"] ?? .null)")
          if closed { closedByBudget += 1 }
          requests += 1
          let document = String(id.prefix { $0 != "/" })
          let usage = request["usage"]
          if id.hasSuffix("/synthesis") {
            synthesisPrompts[document] = usage?["prompt_tokens"]?.intValue ?? 0
          } else {
            generatedByDocument[document, default: 0] += usage?["generated_tokens"]?.intValue ?? 0
          }
        }
      }
      // The synthesis prompt holds its chunks' answers: longer than all of them together.
      #expect(!synthesisPrompts.isEmpty && synthesisPrompts.keys.sorted() == generatedByDocument.keys.sorted(), "\(type)")
      for (document, prompt) in synthesisPrompts {
        #expect(prompt > generatedByDocument[document] ?? .max, "\(type) \(document): \(prompt) prompt tokens")
      }
      let report = try JSONParser.parse(
        try await NightdeskBinary.run(["report", batch, "--format", "json"] + queue).stdout)
      #expect(report["failures"] == [], "\(type): \(report["failures"] ?? .null)")
      for document in report["documents"]?.arrayValue ?? [] {
        #expect(document["status"] == "succeeded" && document["result"]?.objectValue != nil, "\(type): \(document)")
      }
      let markdown = try await NightdeskBinary.run(["report", batch] + queue)
      #expect(markdown.stdout.contains(citation), "\(type): \(markdown.stdout.prefix(2000))")
    }
    // Seen in the output of a run: how many answers the budget closed.
    print("job types end to end: \(requests) requests, \(closedByBudget) closed by the budget")
  }
}
