import Foundation
import NightdeskRequests
import NightdeskEngine
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskTestSupport
import NightdeskWorker
import Testing

/// The worker driving the real engine on SmolLM2 (Ops/setup downloads it), under a real redis-server.
@Suite(.serialized) struct EngineWorkerTests {
  static let smolSHA256 = "sha256:b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

  static func executor() throws -> EngineExecutor {
    try EngineExecutor.load(model: TestPaths.smolLM2.path, threads: 2) { stops in
      EngineConfiguration(kvMemoryBytes: 96 << 20, scheduler: SchedulerConfiguration(maxBatchTokens: 512, maxSequences: 8),
                          eosTokenIDs: stops)
    }
  }

  static func configuration(_ fixture: QueueFixture, drain: Bool = true) -> WorkerConfiguration {
    WorkerConfiguration(redisURL: fixture.server.url, keys: fixture.keys, workerID: "engine-worker",
                        renewInterval: .milliseconds(200), progressInterval: .milliseconds(200),
                        pollInterval: .milliseconds(20), drain: drain)
  }

  static func documentJob(_ document: String, questions: [String], maxTokens: Int = 12) -> JobSpec {
    JobSpec(requests: questions.enumerated().map { index, question in
      ChatRequest(customID: "\(document.prefix(8))-\(index)",
                  messages: [.system("Answer briefly from this document.\n\n" + document), .user(question)],
                  sampling: SamplingParameters(temperature: 0, maxTokens: maxTokens))
    })
  }

  @Test func jobsRunThroughTheEngineReproduciblyWithTheirPrefixSharedAndRecorded() async throws {
    try #require(FileManager.default.fileExists(atPath: TestPaths.smolLM2.path), "run Ops/setup for the SmolLM2 model")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let jobs = [
      Self.documentJob("Harrowgate Mills reported revenue of 412 million pounds in 2025, up 9 percent.",
                       questions: ["What was the revenue?", "By how much did it grow?"]),
      Self.documentJob("The central bank of Veldora raised its policy rate to 4.5 percent.",
                       questions: ["What is the new rate?", "Who raised it?"]),
    ]
    let first = try queue.submit(jobs)
    let second = try queue.submit(jobs)
    let executor = try Self.executor()
    let summary = try await Worker(configuration: Self.configuration(fixture), executor: executor).run()
    #expect(summary.succeeded == 4)

    let firstRecords = try queue.records(first.jobs.map(\.id))
    let secondRecords = try queue.records(second.jobs.map(\.id))
    for record in firstRecords + secondRecords {
      let result = try #require(record.result)
      #expect(result.executor.modelDigest == Self.smolSHA256)
      #expect(result.executor.templateDigest.hasPrefix("smollm2:"))
      #expect(result.requests.count == 2)
      for answer in result.requests {
        #expect(!answer.text.isEmpty && answer.generatedTokens >= 1 && answer.generatedTokens <= 12)
        #expect(answer.promptTokens > 20 && answer.sampling.seed != nil)
      }
    }
    // Both questions of a job go in together: the document is computed once and reused.
    #expect(firstRecords.allSatisfy { ($0.result?.reusedTokens ?? 0) > 0 })
    // Greedy answers reproduce, whatever ran beside them.
    #expect(firstRecords.map { $0.result?.requests.map(\.text) } == secondRecords.map { $0.result?.requests.map(\.text) })
    let status = try #require(try queue.batchStatus(first.batch))
    #expect(status.generatedTokens == firstRecords.reduce(0) { $0 + ($1.result?.generatedTokens ?? 0) })
    await executor.engine.shutdown()
  }

  @Test func aWorkerWithEightBitActivationsSaysSoInItsResultsAndKeepsItsOwnPrefixCache() async throws {
    try #require(FileManager.default.fileExists(atPath: TestPaths.smolLM2.path), "run Ops/setup for the SmolLM2 model")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([Self.documentJob("Harrowgate Mills reported revenue of 412 million pounds in 2025.",
                                                     questions: ["What was the revenue?"])])
    let executor = try EngineExecutor.load(model: TestPaths.smolLM2.path, threads: 2, activations: .int8) { stops in
      EngineConfiguration(kvMemoryBytes: 32 << 20, eosTokenIDs: stops)
    }
    let summary = try await Worker(configuration: Self.configuration(fixture), executor: executor).run()
    #expect(summary.succeeded == 1)
    let result = try #require(try queue.records(receipt.jobs.map(\.id)).first?.result)
    #expect(result.executor.model == "SmolLM2-135M-Instruct.Q4_1.gguf (int8 activations)")
    #expect(result.executor.modelDigest == Self.smolSHA256)
    #expect(result.requests.allSatisfy { !$0.text.isEmpty })
    // KV computed from 8-bit activations must never be served to a float32 engine, nor the reverse.
    #expect(executor.engine.modelIdentity.hasSuffix("|activations=int8"))
    await executor.engine.shutdown()
  }

  @Test func fiveHundredJobsThroughThreeEngineWorkersEachSucceedOnce() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<500).map { index in
      JobSpec(requests: [ChatRequest(customID: "c\(index)",
                                     messages: [.system("Document \(index % 5): the tiny model reads it."),
                                                .user("Question \(index)?")],
                                     sampling: SamplingParameters(temperature: 0, maxTokens: 2))])
    })
    // Three workers, each with its own engine over the qwen3-tiny fixture.
    let workers = try (0..<3).map { index in
      let executor = try EngineExecutor.load(model: TestPaths.fixture("qwen3-tiny").path, threads: 1) { stops in
        EngineConfiguration(kvMemoryBytes: 32 << 20, scheduler: SchedulerConfiguration(maxBatchTokens: 1024, maxSequences: 16),
                            eosTokenIDs: stops)
      }
      var configuration = Self.configuration(fixture)
      configuration.workerID = "engine-\(index)"
      return (Worker(configuration: configuration, executor: executor), executor)
    }
    let summaries = try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
      for (worker, _) in workers { group.addTask { try await worker.run() } }
      return try await group.reduce(into: [WorkerSummary]()) { $0.append($1) }
    }
    #expect(summaries.reduce(0) { $0 + $1.succeeded } == 500)
    #expect(summaries.filter { $0.succeeded > 0 }.count >= 2, "the work was shared: \(summaries.map(\.succeeded))")
    let records = try queue.records(try queue.jobIDs(ofBatch: receipt.batch))
    #expect(records.map { $0.result?.requests.first?.customID } == (0..<500).map { "c\($0)" })
    #expect(records.allSatisfy { $0.state == .succeeded && ($0.result?.generatedTokens ?? 0) >= 1 })
    #expect(try WorkerProcess.successEvents(queue).values.allSatisfy { $0 == 1 })
    for (_, executor) in workers { await executor.engine.shutdown() }
  }

  @Test func cancellingMidGenerationStopsTheEngineRequest() async throws {
    try #require(FileManager.default.fileExists(atPath: TestPaths.smolLM2.path), "run Ops/setup for the SmolLM2 model")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([
      JobSpec(requests: [ChatRequest(messages: [.user("Write the numbers from 1 to 1000, one per line.")],
                                     sampling: SamplingParameters(temperature: 0, maxTokens: 600))])
    ])
    let executor = try Self.executor()
    let worker = Worker(configuration: Self.configuration(fixture), executor: executor)
    let run = Task { try await worker.run() }
    try await ConditionPoller.waitFor("generation to start") {
      try queue.jobStatus(receipt.jobs[0].id)?.progress.generatedTokens ?? 0 > 0
    }
    #expect(try queue.cancel(target: receipt.batch).map(\.previous) == ["running"])
    let summary = try await run.value
    #expect(summary.stopped == 1 && summary.succeeded == 0)
    let generated = try #require(try queue.jobStatus(receipt.jobs[0].id)).progress.generatedTokens
    #expect(generated < 600, "stopped well before max_tokens")
    try await ConditionPoller.waitFor("the engine to free the request") {
      let statistics = executor.engine.statistics
      return statistics.running == 0 && statistics.waiting == 0
    }
    #expect(try queue.batchStatus(receipt.batch)?.count(.cancelled) == 1)
    await executor.engine.shutdown()
  }
}

/// A request's failure is its own: one request of a job too long for the KV cache fails
/// with its reason, its siblings are answered, and the job succeeds.
extension EngineWorkerTests {
  @Test func aRequestTooLongForTheCacheFailsAloneAndItsSiblingsFinish() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let long = String(repeating: "The quarterly figures were revised again. ", count: 500)  // > the 96 MB cache's tokens
    let spec = JobSpec(requests: [
      ChatRequest(customID: "short-1", messages: [.user("What is two plus two?")], sampling: SamplingParameters(temperature: 0, maxTokens: 4)),
      ChatRequest(customID: "too-long", messages: [.user(long + "Summarise.")], sampling: SamplingParameters(temperature: 0, maxTokens: 4)),
      ChatRequest(customID: "short-2", messages: [.user("Name a colour.")], sampling: SamplingParameters(temperature: 0, maxTokens: 4)),
    ])
    let receipt = try queue.submit([spec])
    let summary = try await Worker(configuration: Self.configuration(fixture), executor: try Self.executor()).run()
    #expect(summary.succeeded == 1 && summary.failed == 0 && summary.dead == 0, "\(summary)")
    let result = try #require(try queue.records([receipt.jobs[0].id]).first?.result)
    #expect(result.requests.map(\.customID) == ["short-1", "too-long", "short-2"])
    #expect(result.requests[0].error == nil && result.requests[0].generatedTokens >= 1)
    #expect(result.requests[2].error == nil && result.requests[2].generatedTokens >= 1)
    #expect(result.requests[1].finishReason == "error")
    #expect(result.requests[1].error?.contains("KV cache holds") == true, "\(result.requests[1].error ?? "no error")")
    let lines = ResultFormat.openai.render(try queue.records([receipt.jobs[0].id])).split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines[1].contains("\"response\": null") && lines[1].contains("invalid_request"), "\(lines[1])")
    #expect(lines[0].contains("\"status_code\": 200") && lines[2].contains("\"status_code\": 200"))
  }
}
