import NightdeskQueue
import NightdeskRequests
import NightdeskSupport
import Testing

/// `results --format jsonl`: one line per request, each with the error that belongs to it.
@Suite struct ResultLineTests {
  static func record(state: JobState, jobError: String = "", answers: [RequestResult]?) -> JobRecord {
    let requests = ["a", "b"].map { ChatRequest(customID: $0, messages: [.user("Question \($0)?")], sampling: .greedy) }
    let result = answers.map {
      JobResult(job: "j1", batch: "b1", attempt: 1, worker: "w", executor: ExecutorIdentity(model: "m", modelDigest: "", templateDigest: ""),
                startedAt: 0, finishedAt: 1, requests: $0)
    }
    return JobRecord(id: "j1", batch: "b1", state: state, error: jobError, spec: JobSpec(requests: requests), result: result)
  }

  static func errors(_ record: JobRecord) throws -> [JSONValue?] {
    try ResultFormat.jsonl.render([record]).split(separator: "\n").map { try JSONParser.parse(String($0)).objectValue?["error"] }
  }

  @Test func aRequestThatFailedAloneKeepsItsErrorInASucceededJob() throws {
    let answers = [
      RequestResult(customID: "a", text: "fine", finishReason: "stop", promptTokens: 3, reusedTokens: 0, generatedTokens: 1, sampling: .greedy),
      .failed(customID: "b", sampling: .greedy, error: "request is 9000 tokens; the model's context is 8192"),
    ]
    let errors = try Self.errors(Self.record(state: .succeeded, answers: answers))
    #expect(errors == [.null, .string("request is 9000 tokens; the model's context is 8192")])
  }

  @Test func requestsWithoutAnAnswerCarryTheJobsError() throws {
    let errors = try Self.errors(Self.record(state: .failed, jobError: "worker lost the model", answers: nil))
    #expect(errors == [.string("worker lost the model"), .string("worker lost the model")])
  }
}
