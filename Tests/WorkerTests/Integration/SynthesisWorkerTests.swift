import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRequests
import NightdeskSupport
import NightdeskTestSupport
@testable import NightdeskWorker
import Testing

/// A document's synthesis job on the worker: its request is built from its group's chunk
/// results (their answers, pages and sections, and a failed chunk's reason).
@Suite struct SynthesisWorkerTests {
  static let types = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path

  @Test func theSynthesisRequestHoldsTheChunkAnswersWithTheirCitations() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit(documentGroup("doc-a", chunks: 3, jobType: "news-digest"))
    let chunks = try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false)
    #expect(chunks.count == 3)
    for job in chunks.prefix(2) {
      let text = "{\"summary\": \"revenue 41\(job.lease.job.suffix(1)) million\"}"
      #expect(try queue.complete(job.lease, result: result(for: job, worker: "w", text: text)) == .stored)
    }
    _ = try queue.finish(chunks[2].lease, failure: "the model ran out of memory", disposition: .permanent)
    let claimed = try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false)
    let synthesis = try #require(claimed.first)
    #expect(synthesis.lease.job == receipt.jobs[3].id)

    let prepared = try SynthesisRequest.prepare(synthesis, queue: queue, typesFolder: Self.types)
    let request = try #require(prepared.job.spec.requests.first)
    let system = request.messages.first?.content ?? ""
    #expect(system.contains("revenue 410 million") && system.contains("revenue 411 million"))
    #expect(system.contains("[chunk 1, q, p. 1, Risks]") && system.contains("[chunk 2, q, p. 2, Risks]"))
    #expect(system.contains("[chunk 3, error, p. 3, Risks]") && system.contains("the model ran out of memory"))
    #expect(request.messages.last?.content.contains("JSON Schema") == true)
    #expect(request.customID == "doc/synthesis")
  }

  @Test func anEchoWorkerRunsTheChunksThenTheSynthesis() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit(documentGroup("doc-b", chunks: 2, jobType: "news-digest"))
    var configuration = WorkerConfiguration(redisURL: fixture.server.url, keys: fixture.keys, workerID: "echo",
                                            pollInterval: .milliseconds(20), drain: true)
    configuration.jobTypesFolder = Self.types
    let summary = try await Worker(configuration: configuration, executor: EchoExecutor()).run()
    #expect(summary.succeeded == 3)
    let records = try queue.records(receipt.jobs.map(\.id))
    #expect(records.allSatisfy { $0.state == .succeeded })
    // The synthesis ran on the request built from the chunks (its question is the type's).
    #expect(records.last?.result?.requests.first?.text.hasPrefix("echo: From the per-article answers") == true)
    #expect(try #require(try queue.batchStatus(receipt.batch)).isDone)
  }
}
