import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk run-batch`: an OpenAI batch file through the embedded engine, no Redis.
struct RunBatchCLITests {
  @Test func answersWithTheRealModelAndWritesRefusedLinesToTheErrorFile() async throws {
    let model = try TestPaths.requireSmolLM2()
    let folder = try TestPaths.temporaryDirectory("nightdesk-run-batch")
    defer { try? FileManager.default.removeItem(at: folder) }
    let lines = [
      #"{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}], "max_tokens": 6, "temperature": 0}}"#,
      #"{"custom_id": "b", "method": "POST", "url": "/v1/completions", "body": {}}"#,
      #"{"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}], "max_tokens": 6, "temperature": 0}}"#,
    ]
    let input = folder.appendingPathComponent("in.jsonl")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
    let output = folder.appendingPathComponent("out.jsonl")
    let errors = folder.appendingPathComponent("err.jsonl")
    let run = try await NightdeskBinary.run([
      "run-batch", "-i", input.path, "-o", output.path, "--errors", errors.path, "--model", model.path, "--threads", "2",
    ])
    #expect(run.status == 1, "a refused line makes the exit status 1: \(run.stderr)")
    #expect(run.stderr.contains("rejected line 2"))
    let answered = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    #expect(answered.map { $0["custom_id"]?.stringValue } == ["a", "c"])
    for line in answered {
      #expect(line["error"] == .null && line["response"]?["status_code"] == 200)
      let body = try #require(line["response"]?["body"])
      #expect(body["object"] == "chat.completion")
      #expect(body["model"]?.stringValue == model.lastPathComponent, "the model that answered, not gpt-4o")
      #expect(body["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue?.isEmpty == false)
      #expect((body["usage"]?["completion_tokens"]?.intValue ?? 0) > 0)
    }
    let refused = try String(contentsOf: errors, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    #expect(refused.count == 1)
    #expect(refused.first?["error"]?["message"]?.stringValue?.hasPrefix("line 2:") == true)
  }
}
