import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRequests
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// A desk's limits, stored in Redis beside its queue and checked at submit: each refusal
/// names the desk, the limit, its value and what the submission asked for.
@Suite struct DeskLimitTests {
  static func refusal(_ body: () throws -> Void) -> String {
    do {
      try body()
      return "(accepted)"
    } catch let error as QueueError {
      #expect(error.kind == .limitExceeded)
      return error.message
    } catch {
      return "\(error)"
    }
  }

  @Test func eachLimitRefusesWhatGoesOverItAndAcceptsWhatFits() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    #expect(try queue.deskLimits().isEmpty)
    try queue.setDeskLimits(DeskLimits(maxDocumentBytes: 100, maxJobTokens: 300, maxBatchJobs: 2, maxBatchesInFlight: 1))
    #expect(try queue.deskLimits() == DeskLimits(maxDocumentBytes: 100, maxJobTokens: 300, maxBatchJobs: 2, maxBatchesInFlight: 1))

    let small = chatJob("q", document: "short")
    try queue.checkDeskLimits([small, small], newBatch: true)

    #expect(Self.refusal { try queue.checkDeskLimits([small, small, small], newBatch: true) }
      == "desk 't' refused the submission: max_batch_jobs is 2, and it has 3 jobs")
    let long = chatJob("q", document: String(repeating: "x", count: 200))
    #expect(Self.refusal { try queue.checkDeskLimits([small, long], newBatch: true) }.hasPrefix(
      "desk 't' refused the submission: max_document_bytes is 100, and job 2's prompt has "))
    var greedy = small
    greedy.requests = [ChatRequest(customID: nil, messages: [.user("a")], sampling: SamplingParameters(maxTokens: 200)),
                       ChatRequest(customID: nil, messages: [.user("b")], sampling: SamplingParameters(maxTokens: 200))]
    #expect(Self.refusal { try queue.checkDeskLimits([greedy], newBatch: true) }
      == "desk 't' refused the submission: max_job_tokens is 300, and job 1 asks for 400 tokens (its requests' max_tokens added up)")

    // One batch in flight is the limit: a second new batch is refused, adding to the first is not.
    let first = try queue.submit([small])
    #expect(Self.refusal { try queue.checkDeskLimits([small], newBatch: true) }.hasPrefix(
      "desk 't' refused the submission: max_batches_in_flight is 1, and 1 batch(es) are unfinished"))
    try queue.checkDeskLimits([small], newBatch: false)
    // Once the batch is done, a new one may come.
    let claimed = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 10_000, reclaim: false).first)
    #expect(try queue.complete(claimed.lease, result: result(for: claimed, worker: "w")) == .stored)
    #expect(claimed.lease.batch == first.batch)
    try queue.checkDeskLimits([small], newBatch: true)

    try queue.setDeskLimits(DeskLimits(), clear: true)
    try queue.checkDeskLimits([small, small, small, long, greedy], newBatch: true)
  }

  @Test func aTypedDocumentCountsAllItsChunks() throws {
    var chunks: [JobSpec] = []
    for index in 0..<3 {
      var spec = chatJob("q", document: String(repeating: "y", count: 60))
      spec.group = JobGroup(id: "g1", role: .chunk)
      spec.document = ["source": "report.pdf", "chunk": ["index": .int(Int64(index))]]
      chunks.append(spec)
    }
    let limits = DeskLimits(maxDocumentBytes: 150)
    #expect(Self.refusal { try limits.check([chunks[0]], desk: "d", inFlight: nil) } == "(accepted)")
    #expect(Self.refusal { try limits.check(chunks, desk: "d", inFlight: nil) }.hasPrefix(
      "desk 'd' refused the submission: max_document_bytes is 150, and the document 'report.pdf' has at least "))
  }

  @Test func submitSaysWhichLimitRefusedIt() async throws {
    let server = try RedisServerProcess()
    let queue = ["--redis", "unix://\(server.socketPath)", "--queue", "credit"]
    let set = try await NightdeskBinary.run(["desk", "limits", "credit", "--max-batch-jobs", "1", "--json"]
      + ["--redis", "unix://\(server.socketPath)"])
    #expect(set.status == 0, "\(set.stderr)")
    #expect(try JSONParser.parse(set.stdout) == ["max_batch_jobs": 1])
    let manifest = try TestPaths.temporaryDirectory("desk-limits").appendingPathComponent("m.json")
    try Data(#"{"jobs": [{"requests": [{"messages": [{"role": "user", "content": "a"}]}]}, {"requests": [{"messages": [{"role": "user", "content": "b"}]}]}]}"#.utf8)
      .write(to: manifest)
    let refused = try await NightdeskBinary.run(["submit", "--manifest", manifest.path] + queue)
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("desk 'credit' refused the submission: max_batch_jobs is 1, and it has 2 jobs"), "\(refused.stderr)")
    let bad = try await NightdeskBinary.run(["desk", "limits", "credit", "--max-job-tokens", "0"] + ["--redis", "unix://\(server.socketPath)"])
    #expect(bad.status != 0 && bad.stderr.contains("--max-job-tokens must be at least 1 (got 0)"), "\(bad.stderr)")
  }
}
