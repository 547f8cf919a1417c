import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk submit` refuses a `response_format` schema the compiler cannot enforce, with
/// the keyword named, line by line (OpenAI batch) and job by job (manifest); the rest go in.
@Suite struct StructuredSubmitCLITests {
  static func line(_ id: String, schema: String) -> String {
    """
    {"custom_id": "\(id)", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Name a company."}], "max_tokens": 20, "response_format": {"type": "json_schema", "json_schema": {"name": "c", "strict": true, "schema": \(schema)}}}}
    """
  }

  @Test func anUnsupportedSchemaKeywordIsRefusedAtSubmitByName() async throws {
    let redis = try RedisServerProcess()
    let folder = try TestPaths.temporaryDirectory("nd-structured-submit")
    defer { try? FileManager.default.removeItem(at: folder) }
    let good = #"{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}"#
    let bad = #"{"type": "object", "properties": {"name": {"type": "string", "pattern": "^[A-Z]"}}}"#
    let batch = folder.appendingPathComponent("night.jsonl")
    try [Self.line("ok", schema: good), Self.line("nope", schema: bad)].joined(separator: "\n")
      .write(to: batch, atomically: true, encoding: .utf8)
    let manifest = folder.appendingPathComponent("manifest.json")
    try """
      {"jobs": [{"requests": [{"custom_id": "m1", "messages": [{"role": "user", "content": "Hi"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": {"type": "number", "minimum": 0}}}}]},
                {"requests": [{"custom_id": "m2", "messages": [{"role": "user", "content": "Hi"}]}]}]}
      """.write(to: manifest, atomically: true, encoding: .utf8)
    let target = ["--redis", "unix://\(redis.socketPath)", "--queue", "structured-submit", "--json"]

    for (option, file, line, keyword) in [("--openai-batch", batch, 2, "pattern"), ("--manifest", manifest, 1, "minimum")] {
      let outcome = try await NightdeskBinary.run(["submit", option, file.path] + target)
      #expect(outcome.status == 0, "\(outcome.stderr)")
      let reply = try JSONParser.parse(outcome.stdout)
      #expect(reply["jobs"] == 1)
      let rejected = try #require(reply["rejected"]?.arrayValue)
      #expect(rejected.count == 1 && rejected.first?["line"]?.intValue == line)
      let error = rejected.first?["error"]?.stringValue ?? ""
      #expect(error.contains("unsupported schema keyword \"\(keyword)\""), "\(error)")
    }
  }
}
