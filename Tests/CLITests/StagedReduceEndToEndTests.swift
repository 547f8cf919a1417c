import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `submit --type` on the sample annual report with a job type of short chunks, run by a
/// real SmolLM2 worker whose context is cut to 512 tokens (`--max-context`): the chunks'
/// answers do not fit one synthesis, so the worker reduces them in stages, and the final
/// result is still schema-valid, with the stages in the stored result and the report.
/// Also: `submit --type` refuses a job type whose max_tokens cannot close its schema.
@Suite struct StagedReduceEndToEndTests {
  static let report = TestPaths.repositoryRoot.appendingPathComponent(
    "Jobs/samples/ingest/annual-report-harrowgate-2025.pdf").path

  /// A job type of chunks of about 70 tokens, each answered in at most 48 tokens.
  static func typeYAML(name: String, maxTokens: Int = 48) -> String {
    """
    name: \(name)
    description: A short brief of a report, from small parts.
    input: document
    chunking:
      target_tokens: 70
      overlap_tokens: 0
      long_context: off
    thinking: off
    prompts:
      system: You are a careful analyst. Answer from the document only.
      questions:
        - id: facts
          text: State the main fact of this part in one sentence, with its page.
      synthesis: Combine the answers into one short brief of the whole report, with the pages it rests on.
    output_schema:
      type: object
      additionalProperties: false
      required: [brief, pages]
      properties:
        brief: {type: string, maxLength: 160}
        pages:
          type: array
          maxItems: 6
          items: {type: integer}
    sampling:
      temperature: 0
      seed: 7
    limits:
      max_tokens: \(maxTokens)
      synthesis_max_tokens: 64
    """
  }

  @Test func aSynthesisBeyondTheContextIsReducedInStagesToASchemaValidResult() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    let types = try TestPaths.temporaryDirectory("nd-staged-reduce")
    defer { try? FileManager.default.removeItem(at: types) }
    try Self.typeYAML(name: "staged-brief").write(
      to: types.appendingPathComponent("staged-brief.yaml"), atomically: true, encoding: .utf8)
    let queue = ["--redis", "unix://\(server.socketPath)", "--queue", "staged"]

    let submitted = try await NightdeskBinary.run(
      ["submit", "--type", "staged-brief", Self.report, "--types-dir", types.path, "--model", model, "--json"] + queue)
    #expect(submitted.status == 0, "\(submitted.stderr)")
    let batch = try #require(try JSONParser.parse(submitted.stdout)["batch"]?.stringValue)
    let worker = try await NightdeskBinary.run(
      ["worker", "--model", model, "--drain", "--threads", "2", "--max-context", "512", "--types-dir", types.path]
        + queue)
    #expect(worker.status == 0, "\(worker.stderr)")

    let results = try JSONParser.parse(try await NightdeskBinary.run(["results", batch, "--format", "json"] + queue).stdout)
    let records = try #require(results.arrayValue)
    #expect(records.count >= 3 && records.allSatisfy { $0["state"] == "succeeded" }, "\(records.map { $0["error"] ?? .null })")
    let synthesis = try #require(records.flatMap { $0["result"]?["requests"]?.arrayValue ?? [] }
      .first { $0["custom_id"]?.stringValue?.hasSuffix("/synthesis") == true })
    let stages = try #require(synthesis["reduce_stages"]?.intValue)
    #expect(stages >= 2, "\(synthesis)")
    // The final synthesis fitted the worker's context, and its answer is schema-valid.
    let prompt = synthesis["usage"]?["prompt_tokens"]?.intValue ?? .max
    #expect(prompt + 64 <= 512, "\(prompt) prompt tokens")
    #expect(synthesis["structured"]?["brief"]?.stringValue != nil && synthesis["structured"]?["pages"]?.arrayValue != nil
      && synthesis["error"] == nil, "\(synthesis)")

    let report = try JSONParser.parse(try await NightdeskBinary.run(["report", batch, "--format", "json"] + queue).stdout)
    let document = try #require(report["documents"]?.arrayValue?.first)
    #expect(document["status"] == "succeeded" && document["result"]?.objectValue != nil, "\(document)")
    #expect(document["reduce_stages"]?.intValue == stages && document["error"] == .null)
    #expect(report["failures"] == [])
    // The partial syntheses' tokens are kept beside the final one's, and counted in the batch's totals.
    let earlier = try #require(synthesis["reduce_usage"]?["generated_tokens"]?.intValue)
    #expect(earlier > 0)
    let generated = records.flatMap { $0["result"]?["requests"]?.arrayValue ?? [] }
      .reduce(0) { $0 + ($1["usage"]?["generated_tokens"]?.intValue ?? 0) }
    let status = try JSONParser.parse(try await NightdeskBinary.run(["status", batch, "--json"] + queue).stdout)
    #expect(status["generated_tokens"]?.intValue == generated + earlier, "\(status)")
    // The worker's finish line for the synthesis says so too.
    #expect(worker.stderr.contains("reduce_stages=\(stages)"), "\(worker.stderr.suffix(1500))")
    let markdown = try await NightdeskBinary.run(["report", batch] + queue)
    #expect(markdown.stdout.contains("Synthesised in \(stages) stages"), "\(markdown.stdout.prefix(1500))")
    print("staged reduce end to end: \(records.count - 1) chunk jobs, \(stages) stages, final prompt \(prompt) tokens")
  }

  @Test func submitTypeRefusesAMaxTokensBelowTheShortestSchemaValidDocument() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    let types = try TestPaths.temporaryDirectory("nd-type-budget")
    defer { try? FileManager.default.removeItem(at: types) }
    let file = types.appendingPathComponent("tiny-budget.yaml")
    try Self.typeYAML(name: "tiny-budget", maxTokens: 5).write(to: file, atomically: true, encoding: .utf8)
    let queue = ["--redis", "unix://\(server.socketPath)", "--queue", "budget"]

    let refused = try await NightdeskBinary.run(
      ["submit", "--type", "tiny-budget", Self.report, "--types-dir", types.path, "--model", model, "--json"] + queue)
    #expect(refused.status != 0)
    // The file, the field, and both numbers: `{"brief":"","pages":[]}` is 23 bytes.
    #expect(refused.stderr.contains("tiny-budget.yaml") && refused.stderr.contains("limits.max_tokens is 5, below 23"),
            "\(refused.stderr)")
    let stats = try JSONParser.parse(try await NightdeskBinary.run(["queue", "stats", "--json"] + queue).stdout)
    #expect(stats["queued"]?["normal"]?.intValue == 0, "nothing queued: \(stats)")

    // At the shortest document's length it goes in.
    try Self.typeYAML(name: "tiny-budget", maxTokens: 23).write(to: file, atomically: true, encoding: .utf8)
    let accepted = try await NightdeskBinary.run(
      ["submit", "--type", "tiny-budget", Self.report, "--types-dir", types.path, "--model", model, "--json"] + queue)
    #expect(accepted.status == 0, "\(accepted.stderr)")
  }
}
