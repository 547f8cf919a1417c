import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing
import Yams

/// Every job type on its sample with the real SmolLM2 worker: every request ends by
/// itself with a schema-valid structured answer (constrained decoding), each synthesis
/// reads its chunks' answers, and the report cites where they came from.
///
/// The types run with their schemas' bounds tightened (at most 3 items per list, 60
/// characters per free string) and 768 tokens per answer, so that the longest value the
/// schema allows fits the budget: constrained decoding keeps every token valid, but only
/// a budget that covers the schema's bounds lets the value close. With the shipped
/// bounds (lists of up to 200 items) a 135M model is cut short by max_tokens.
@Suite(.serialized) struct JobTypesEndToEndTests {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples/ingest").path
  static let cases = [
    ("annual-report", "annual-report-harrowgate-2025.pdf", "pp. 1-4"),
    ("news-digest", "news-2026-11-27.jsonl", "[item 4, §NovaPay outage hits weekend shoppers]"),
    ("social-sentiment", "social-novapay-2026-11-27.jsonl", "[item 2]"),
    ("contract-risk", "contract-supply-agreement.md", "§2. Exclusivity"),
  ]

  /// The shipped job types with every free string and list bounded, in a folder of their own.
  static func tightenedTypes() throws -> String {
    let folder = try TestPaths.temporaryDirectory("e2e-types")
    for (name, _, _) in cases {
      let source = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types/\(name).yaml")
      guard var type = try Yams.load(yaml: String(contentsOf: source, encoding: .utf8)) as? [String: Any],
        var limits = type["limits"] as? [String: Any]
      else { throw CocoaError(.fileReadCorruptFile) }
      type["output_schema"] = tighten(type["output_schema"] as Any)
      limits["max_tokens"] = 768
      limits["synthesis_max_tokens"] = 768
      type["limits"] = limits
      try Yams.dump(object: type).write(toFile: folder.appendingPathComponent("\(name).yaml").path,
                                        atomically: true, encoding: .utf8)
    }
    return folder.path
  }

  static func tighten(_ node: Any) -> Any {
    if let list = node as? [Any] { return list.map(tighten) }
    guard var object = node as? [String: Any] else { return node }
    for (key, value) in object { object[key] = tighten(value) }
    if object["type"] as? String == "string", object["enum"] == nil {
      object["maxLength"] = min(object["maxLength"] as? Int ?? 60, 60)
    }
    if object["type"] as? String == "array" { object["maxItems"] = min(object["maxItems"] as? Int ?? 3, 3) }
    return object
  }

  @Test func everyJobTypeGivesSchemaValidResultsASynthesisOverItsChunksAndCitations() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    let queue = ["--redis", "unix://\(server.socketPath)", "--queue", "t"]
    let types = try Self.tightenedTypes()
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

    for ((type, _, citation), batch) in zip(Self.cases, batches) {
      let results = try JSONParser.parse(
        try await NightdeskBinary.run(["results", batch, "--format", "json"] + queue).stdout)
      var generatedByDocument: [String: Int] = [:]
      var synthesisPrompts: [String: Int] = [:]
      for record in results.arrayValue ?? [] {
        #expect(record["state"] == "succeeded", "\(type): \(record["job"] ?? .null) \(record["error"] ?? .null)")
        for request in record["result"]?["requests"]?.arrayValue ?? [] {
          let id = request["custom_id"]?.stringValue ?? ""
          // Ended by itself (the value closed), parsed and valid against the type's schema.
          #expect(request["finish_reason"] == "stop" && request["structured"]?.objectValue != nil
            && request["error"] == nil, "\(type) \(id): \(request["finish_reason"] ?? .null) \(request["error"] ?? .null)")
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
  }
}
