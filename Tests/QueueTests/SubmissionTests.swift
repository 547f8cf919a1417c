import Foundation
import NightdeskRequests
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskSupport
import NightdeskWorker
import Testing

/// OpenAI batch files and manifests: each line judged on its own, and the round trip
/// from an input file to an output file in OpenAI's documented format.
@Suite struct SubmissionTests {
  static func line(_ id: String, system: String = "Doc A", question: String = "Q?", extra: String = "") -> String {
    #"{"custom_id": "\#(id)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "system", "content": "\#(system)"}, {"role": "user", "content": "\#(question)"}]\#(extra)}}"#
  }

  @Test func badLinesAreRejectedWithTheirNumbersAndTheRestGoAhead() {
    let file = [
      Self.line("a1", extra: #", "max_tokens": 20, "temperature": 0, "top_p": 0.9, "seed": 5, "stop": ["\n\n"]"#),
      Self.line("a2", extra: #", "temperature": 7"#),
      "{not json",
      "",
      Self.line("a1"),
      #"{"custom_id": "x", "method": "POST", "url": "/v1/embeddings", "body": {}}"#,
      Self.line("b1", system: "Doc B", extra: #", "max_completion_tokens": 9"#),
      Self.line("a3", extra: #", "tools": []"#),
      #"{"custom_id": "e", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": []}}"#,
      Self.line("a4", question: "Q4?"),
      #"[1, 2]"#,
    ].joined(separator: "\n")
    let input = OpenAIBatchInput.parse(Array(file.utf8))
    #expect(input.rejected.map(\.line) == [2, 3, 5, 6, 8, 9, 11])
    #expect(input.rejected[0].error.contains("temperature"))
    #expect(input.rejected[2].error.contains("already used"))
    #expect(input.rejected[3].error.contains("/v1/embeddings"))
    #expect(input.rejected[4].error.contains("body.tools"))
    // a1 and a4 share "Doc A" and become one job; b1 is its own.
    #expect(input.jobs.count == 2)
    #expect(input.jobs[0].requests.map(\.customID) == ["a1", "a4"])
    #expect(input.jobs[1].requests.map(\.customID) == ["b1"])
    let a1 = input.jobs[0].requests[0].sampling
    #expect(a1 == SamplingParameters(temperature: 0, topP: 0.9, seed: 5, maxTokens: 20, stopStrings: ["\n\n"]))
    #expect(input.jobs[1].requests[0].sampling.maxTokens == 9)
    #expect(input.jobs[0].prefixHash != input.jobs[1].prefixHash && !input.jobs[0].prefixHash.isEmpty)
  }

  @Test func manifestEntriesAreJudgedOnTheirOwn() throws {
    let manifest = #"""
      {"desk": "credit", "priority": "low", "jobs": [
        {"requests": [{"custom_id": "r1", "messages": [{"role": "user", "content": "hi"}], "sampling": {"max_tokens": 4}}]},
        {"requests": []},
        {"requests": [{"messages": [{"role": "robot", "content": "x"}]}]},
        {"priority": "high", "max_attempts": 5, "requests": [{"messages": [{"role": "user", "content": "yo"}]}]}
      ]}
      """#
    let input = try BatchManifest.parse(Array(manifest.utf8))
    #expect(input.rejected.map(\.line) == [2, 3])
    #expect(input.rejected[1].error.contains("role"))
    #expect(input.jobs.map(\.priority) == [.low, .high])
    #expect(input.jobs.map(\.desk) == ["credit", "credit"])
    #expect(input.jobs[1].maxAttempts == 5)
  }

  @Test func openAIBatchRoundTrip() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let ids = (0..<12).map { "req-\($0)" }
    let file = ids.enumerated().map { index, id in Self.line(id, system: "Doc \(index % 3)", question: "Question \(index)?") }
      .joined(separator: "\n") + "\n" + Self.line("bad", extra: #", "n": 2"#) + "\n"
    let input = OpenAIBatchInput.parse(Array(file.utf8))
    #expect(input.rejected.count == 1 && input.jobs.count == 3)
    let receipt = try queue.submit(input.jobs)
    // One job is cancelled before any worker runs: its requests must come back as errors.
    _ = try queue.cancel(target: receipt.jobs[2].id)
    let worker = Worker(
      configuration: WorkerConfiguration(redisURL: fixture.server.url, keys: fixture.keys, workerID: "w",
                                         pollInterval: .milliseconds(20), drain: true),
      executor: EchoExecutor())
    _ = try await worker.run()
    let records = try queue.records(try queue.jobIDs(ofBatch: receipt.batch))
    let summary = ResultFormat.summary.render(records).split(separator: "\n")
    #expect(summary.count == 12 && summary.filter { $0.hasSuffix("[cancelled]") }.count == 4)
    let jsonl = ResultFormat.jsonl.render(records).split(separator: "\n")
    #expect(jsonl.count == 12 && jsonl.allSatisfy { (try? JSONParser.parse(String($0))) != nil })
    let csv = ResultFormat.csv.render(records)
    let rows = csv.split(separator: "\r\n", omittingEmptySubsequences: true).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    #expect(rows.first?.first == "job" && rows.count == 13)
    #expect(rows.dropFirst().filter { $0[3] == "cancelled" && $0[4].isEmpty }.count == 4)
    #expect(rows.dropFirst().filter { $0[3] == "succeeded" && $0[4] == "stop" }.count == 8)
    let output = ResultFormat.openai.render(records)
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == 12)
    var seen: [String] = []
    for line in lines {
      let object = try #require(try JSONParser.parse(line).objectValue)
      #expect(Set(object.keys) == ["id", "custom_id", "response", "error"])
      #expect(object["id"]?.stringValue?.isEmpty == false)
      let customID = try #require(object["custom_id"]?.stringValue)
      seen.append(customID)
      if let response = object["response"]?.objectValue {
        #expect(object["error"] == .null)
        #expect(response["status_code"] == 200)
        let body = try #require(response["body"]?.objectValue)
        #expect(body["object"] == "chat.completion")
        #expect(body["id"]?.stringValue?.isEmpty == false && body["created"]?.intValue != nil && body["model"] != "m")
        let choice = try #require(body["choices"]?.arrayValue?.first?.objectValue)
        #expect(choice["index"] == 0 && choice["message"]?["role"] == "assistant")
        #expect(choice["message"]?["content"]?.stringValue?.hasPrefix("echo: Question") == true)
        #expect(["stop", "length"].contains(choice["finish_reason"]?.stringValue ?? ""))
        let usage = try #require(body["usage"]?.objectValue)
        let prompt = try #require(usage["prompt_tokens"]?.intValue)
        let completion = try #require(usage["completion_tokens"]?.intValue)
        #expect(usage["total_tokens"]?.intValue == prompt + completion)
      } else {
        #expect(object["response"] == .null)
        let error = try #require(object["error"]?.objectValue)
        #expect(error["code"] == "cancelled" && error["message"]?.stringValue?.isEmpty == false)
      }
    }
    #expect(seen.sorted() == ids.sorted(), "every custom_id exactly once")
    #expect(lines.filter { $0.contains("\"response\": null") }.count == 4)
  }
}
