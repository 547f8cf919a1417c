import Foundation
import NightdeskIngest
import NightdeskQueue
import NightdeskRequests
import NightdeskSupport
import NightdeskTestSupport
@testable import NightdeskWorker
import Testing

/// The staged reduce's plan on an executor whose context is counted in bytes (the real
/// model and engine run it in `StagedReduceEndToEndTests`): the stages it takes, every
/// request within the context, citations carried into the final synthesis, and an
/// answer too long alone cut with a marker instead of failing.
@Suite struct StagedReduceTests {
  /// Answers every request with a short text and records the requests; a request's
  /// tokens are its messages' bytes.
  struct ByteCountingExecutor: JobExecutor {
    let identity = ExecutorIdentity(model: "bytes", modelDigest: "none", templateDigest: "none")
    let capacity = 64
    let context: Int
    let seen = LockedValue<[[ChatRequest]]>([])

    var contextLimit: ContextLimit? {
      ContextLimit(tokens: context) { request in request.messages.reduce(0) { $0 + $1.content.utf8.count } }
    }

    func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void) async throws -> [RequestResult] {
      seen.withLock { $0.append(job.spec.requests) }
      return job.spec.requests.map { request in
        RequestResult(customID: request.customID, text: "{\"summary\": \"a part\"}", finishReason: "stop",
                      promptTokens: 1, reusedTokens: 0, generatedTokens: 1, sampling: request.sampling)
      }
    }
  }

  static let type = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types/news-digest.yaml").path

  func reduce(_ answers: [ChunkAnswer], maxTokens: Int = 100) throws -> StagedReduce {
    let request = ChatRequest(customID: "doc1/synthesis", messages: [.user("placeholder")],
                              sampling: SamplingParameters(maxTokens: maxTokens))
    let job = ClaimedJob(lease: Lease(job: "b.9", batch: "b", priority: .normal, entry: "0-1", token: 1, attempt: 1),
                         spec: JobSpec(requests: [request]), prefixHash: "p")
    return try StagedReduce(job: job, type: try JobType.load(path: Self.type), answers: answers)
  }

  /// An executor whose context leaves `room` bytes for answers beside the synthesis prompt
  /// over none and `reduce`'s max_tokens (100).
  func byteCounting(for reduce: StagedReduce, room: Int) throws -> ByteCountingExecutor {
    let request = try #require(reduce.job.spec.requests.first)
    let empty = try StagedReduce.request(request, type: reduce.type, over: []).messages.reduce(0) { $0 + $1.content.utf8.count }
    return ByteCountingExecutor(context: empty + request.sampling.maxTokens + room)
  }

  func answer(_ index: Int, text: String) -> ChunkAnswer {
    let chunk = Chunk(index: index, text: "", paragraphs: 0...0, tokenCount: 0,
                      locations: [SourceLocation(page: index + 1, section: "Part \(index + 1)")])
    return ChunkAnswer(chunk: chunk, questionID: "summary", text: text)
  }

  @Test func answersThatFitRunInOneStage() async throws {
    let reduce = try reduce((0..<3).map { answer($0, text: "short") })
    let executor = ByteCountingExecutor(context: 100_000)
    let results = try await reduce.run(on: executor, progress: { _ in })
    #expect(results.first?.reduce == ReduceStages(count: 1))
    #expect(executor.seen.current.count == 1 && executor.seen.current[0] == reduce.job.spec.requests)
  }

  @Test func answersThatDoNotFitAreReducedInStagesWithinTheContextKeepingCitations() async throws {
    let answers = (0..<24).map { answer($0, text: String(repeating: "Revenue rose in part \($0). ", count: 8)) }
    let reduce = try reduce(answers)
    // Room for about five answers besides the prompt and max_tokens.
    let executor = try byteCounting(for: reduce, room: 5 * 250)
    let results = try await reduce.run(on: executor, progress: { _ in })
    let stages = executor.seen.current
    #expect(results.first?.reduce?.count == stages.count && stages.count >= 2, "\(stages.map(\.count))")
    // The partial syntheses' tokens (one each here), beside the final synthesis's usage.
    let partials = stages.dropLast().reduce(0) { $0 + $1.count }
    #expect(results.first?.reduce == ReduceStages(count: stages.count, promptTokens: partials, generatedTokens: partials))
    // Each stage has fewer requests than the one before, and the last is the one synthesis.
    #expect(stages.last?.count == 1 && stages.last?.first?.customID == "doc1/synthesis")
    #expect(zip(stages, stages.dropFirst()).allSatisfy { $0.count > $1.count })
    #expect(stages.first?.first?.customID == "doc1/synthesis/stage1.1")
    for request in stages.flatMap({ $0 }) {
      #expect(executor.contextLimit?.fits(request) == true, "\(request.customID ?? "")")
    }
    // The final synthesis reads partial syntheses that cite, between them, every page.
    let final = try #require(stages.last?.first?.messages.first?.content)
    #expect(final.contains("partial synthesis, stage \(stages.count - 1)"))
    #expect(final.contains("[chunks 1-") && final.contains("pp. 1-") && final.contains("-24, "))
    #expect(final.contains("Part 1; ") && final.contains("Part 24]"))
    // The first stage saw the answers in order, each once; a last run of one alone goes on as it is.
    let firstStage = stages[0].map { $0.messages.first?.content ?? "" }.joined()
    let positions = (0..<24).compactMap { firstStage.range(of: "part \($0). ")?.lowerBound }
    #expect(positions.count >= 23 && zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 }, "\(positions.count)")
    #expect((0..<24).allSatisfy { firstStage.components(separatedBy: "part \($0). ").count - 1 <= 8 })
  }

  @Test func aLastRunOfOneAnswerGoesOnToTheNextStageAsItIs() async throws {
    let answers = (0..<3).map { answer($0, text: String(repeating: "Margins held in part \($0). ", count: 10)) }
    let reduce = try reduce(answers)
    // Room for two of the answers (about 310 bytes each with their headings), not three.
    let executor = try byteCounting(for: reduce, room: 700)
    let results = try await reduce.run(on: executor, progress: { _ in })
    let stages = executor.seen.current
    #expect(results.first?.reduce?.count == 2 && stages.map(\.count) == [1, 1])
    let first = try #require(stages.first?.first?.messages.first?.content)
    #expect(first.contains("part 1. ") && !first.contains("part 2. "))
    let final = try #require(stages.last?.first?.messages.first?.content)
    #expect(final.contains("[chunks 1-2, partial synthesis, stage 1, pp. 1-2, Part 1; Part 2]"), "\(final)")
    #expect(final.contains("[chunk 3, summary, p. 3, Part 3]\n" + answers[2].text.trimmingCharacters(in: .whitespaces)))
  }

  @Test func anAnswerTooLongForTheContextAloneIsCutWithAMarker() async throws {
    let answers = [answer(0, text: "short"), answer(1, text: String(repeating: "x", count: 20_000)), answer(2, text: "end")]
    let reduce = try reduce(answers)
    let executor = try byteCounting(for: reduce, room: 2_000)
    let results = try await reduce.run(on: executor, progress: { _ in })
    // Cut, the answers fit together: one synthesis over them.
    #expect(results.first?.reduce?.count == 1 && executor.seen.current.count == 1)
    let first = executor.seen.current[0].map { $0.messages.first?.content ?? "" }.joined()
    #expect(first.contains(StagedReduce.truncationMarker) && first.contains("short") && first.contains("end"))
    for request in executor.seen.current.flatMap({ $0 }) { #expect(executor.contextLimit?.fits(request) == true) }
  }
}
