import Foundation
@testable import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import Testing

/// Keyed submissions against a real redis-server: repeating a submission (after a crash
/// halfway, or a lost reply) completes the first one instead of queueing a second copy.
@Suite struct SubmissionKeyTests {
  static let questions = (0..<5).map { "Question \($0)?" }

  @Test func aSubmissionCutOffHalfwayIsCompletedByRunningItAgain() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let specs = Self.questions.map { chatJob($0) }
    // The first run: the key is recorded and the first chunk is queued, then the process dies.
    let claimed = try queue.claimSubmission(
      key: "night-1", fingerprint: QueueClient.fingerprint(of: specs), batch: nil)
    #expect(!claimed.resumed)
    let partial = try queue.submit(Array(QueueClient.keyed(specs, by: "night-1").prefix(2)), toBatch: claimed.batch)
    #expect(partial.queuedCount == 2)

    let second = try queue.submit(specs, submissionKey: "night-1")
    #expect(second.batch == claimed.batch && second.resumed)
    #expect(second.jobs.map(\.status) == [.duplicate, .duplicate, .new, .new, .new])
    #expect(Array(second.jobs.prefix(2)) == partial.jobs.map { SubmittedJob(id: $0.id, status: .duplicate) })

    let third = try queue.submit(specs, submissionKey: "night-1")
    #expect(third.batch == claimed.batch && third.jobs.allSatisfy { $0.status == .duplicate })
    #expect(third.jobs.map(\.id) == second.jobs.map(\.id))

    let status = try #require(try queue.batchStatus(claimed.batch))
    #expect(status.total == 5 && status.count(.queued) == 5)
    let work = try queue.claim(worker: "w", count: 20, leaseMilliseconds: 30_000, reclaim: false)
    let asked = work.map { $0.spec.requests[0].messages.last?.content ?? "" }
    #expect(asked.count == 5)
    #expect(Set(asked) == Set(Self.questions.map { "The quarterly report.\n" + $0 }))
  }

  /// An unkeyed submission larger than one script call that Redis refuses halfway (here at
  /// `maxmemory`) says what it left queued and where, and names the key that finishes it:
  /// running it again under that key queues only the rest, into the same batch.
  @Test func anUnkeyedSubmissionRefusedHalfwayNamesItsBatchAndIsFinishedByItsKey() throws {
    let document = String(repeating: "A long annual report. ", count: 120)  // about 2.6 kB a job
    let specs = (0..<(8 * QueueClient.submitChunk)).map { chatJob("Question \($0)?", document: document, customID: "c\($0)") }
    // Redis checks the memory limit before each script, counting the round trip's arguments
    // still in its input buffer, so the headroom that lets some calls through but not all
    // is found by trying, each try on a fresh server: steps of 0.75 MB, well under the
    // 2.6 MB that the seven calls after the first store.
    var refusal: (fixture: QueueFixture, error: any Error)?
    for headroom in stride(from: 500_000, through: 15_000_000, by: 750_000) {
      let fixture = try QueueFixture()
      let redis = try RedisConnection(url: fixture.server.url)
      let info = try redis.command("INFO", "memory").string ?? ""
      let used = try #require(info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("used_memory:") }
        .flatMap { Int($0.dropFirst("used_memory:".count)) })
      _ = try redis.command("CONFIG", "SET", "maxmemory", used + headroom)
      do {
        _ = try fixture.client().submit(specs)
        break  // it all fitted: more headroom would not refuse it
      } catch {
        guard try redis.command("ZCARD", fixture.keys.prefix + "batches").int ?? 0 > 0 else { continue }
        refusal = (fixture, error)
        break
      }
    }
    let (fixture, error) = try #require(refusal, "no headroom refused the submission halfway")
    let queue = try fixture.client()
    let redis = try RedisConnection(url: fixture.server.url)
    let message = "\(error)"
    #expect(message.contains("maxmemory"), "\(message)")
    let batches = try redis.command("ZRANGE", fixture.keys.prefix + "batches", 0, -1).array?.compactMap(\.string) ?? []
    let batch = try #require(batches.first)
    #expect(batches.count == 1)
    let queued = try queue.jobIDs(ofBatch: batch).count
    #expect(queued > 0 && queued < specs.count, "\(queued)")
    #expect(message.contains("\(queued) of \(specs.count) job(s) are queued in batch \(batch)"), "\(message)")
    #expect(message.contains("--idempotency-key \(batch)"), "\(message)")

    _ = try redis.command("CONFIG", "SET", "maxmemory", 0)
    let finished = try queue.submit(specs, submissionKey: batch)
    #expect(finished.batch == batch && finished.resumed)
    #expect(finished.jobs.filter { $0.status == .duplicate }.count == queued)
    #expect(finished.jobs.filter { $0.status == .new }.count == specs.count - queued)
    let ids = try queue.jobIDs(ofBatch: batch)
    #expect(ids.count == specs.count && Set(ids).count == specs.count)
    // Each request once, in the file's order.
    let asked = try queue.records(ids).map { $0.spec?.requests.first?.customID ?? "?" }
    let misplaced = zip(asked, specs.map { $0.requests[0].customID ?? "" }).filter { $0 != $1 }
    #expect(asked.count == specs.count && misplaced.isEmpty, "\(misplaced.count) misplaced, e.g. \(misplaced.prefix(3))")
    #expect(try queue.batchStatus(batch)?.total == specs.count)
  }

  @Test func differentJobsUnderAUsedKeyAreRefusedButAMovedDeadlineIsNot() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let first = try queue.submit(Self.questions.map { chatJob($0) }, submissionKey: "desk-a/2026-12-05")
    #expect(first.queuedCount == 5 && !first.resumed)

    var changed = Self.questions.map { chatJob($0) }
    changed[3] = chatJob("A different question?")
    #expect {
      _ = try queue.submit(changed, submissionKey: "desk-a/2026-12-05")
    } throws: { error in
      let error = error as? QueueError
      return error?.kind == .conflict && error?.message.contains(first.batch) == true
    }

    // `--deadline-in 8h` run again a minute later: the same submission.
    let later = Self.questions.map { question in
      var spec = chatJob(question)
      spec.deadline = Date().timeIntervalSince1970 + 8 * 3600
      return spec
    }
    let again = try queue.submit(later, submissionKey: "desk-a/2026-12-05")
    #expect(again.resumed && again.batch == first.batch && again.queuedCount == 0)
    #expect(try #require(try queue.batchStatus(first.batch)).total == 5)
  }

  @Test func anInvalidFirstTryDoesNotUseTheKeyUp() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    var invalid = Self.questions.map { chatJob($0) }
    invalid[2] = chatJob("q", maxAttempts: 0)
    #expect(throws: QueueError.self) { _ = try queue.submit(invalid, submissionKey: "desk-b/night") }
    #expect(try queue.redis.command("DBSIZE").int == 0, "nothing written, the key not taken")
    let corrected = try queue.submit(Self.questions.map { chatJob($0) }, submissionKey: "desk-b/night")
    #expect(corrected.queuedCount == 5 && !corrected.resumed)
  }

  @Test func keysThatCannotBeStoredSafelyAreRejected() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    for key in ["", "has space", "tab\there", String(repeating: "k", count: QueueClient.maxSubmissionKeyBytes + 1)] {
      #expect(throws: QueueError.self) { _ = try queue.submit([chatJob("q")], submissionKey: key) }
    }
    #expect(try queue.redis.command("DBSIZE").int == 0)
  }

  /// The real binary, run twice on one OpenAI batch file with one key.
  @Test func theSubmitCommandRunTwiceQueuesTheFileOnce() async throws {
    let binary = WorkerProcess.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build nightdesk first (swift build --build-tests)")
    let fixture = try QueueFixture()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nd-keyed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("night.jsonl")
    let lines = (1...6).map { SubmissionTests.line("r\($0)", system: "Doc \($0 % 2)", question: "Q\($0)?") }
    try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

    func submit() async throws -> (batch: String, jobs: Int) {
      let process = Process()
      process.executableURL = binary
      process.arguments = [
        "submit", "--openai-batch", file.path, "--idempotency-key", "night-2026-12-05", "--json",
        "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace,
      ]
      let output = Pipe()
      process.standardOutput = output
      process.standardError = FileHandle.nullDevice
      try process.run()
      // Waits without holding a cooperative thread; the reply is one short line, well within the pipe's buffer.
      try await WorkerProcess.waitForExit(process)
      let data = output.fileHandleForReading.readDataToEndOfFile()
      #expect(process.terminationStatus == 0)
      let object = try JSONParser.parse(Array(data)).objectValue
      return (object?["batch"]?.stringValue ?? "", object?["jobs"]?.intValue ?? -1)
    }
    let first = try await submit()
    let second = try await submit()
    #expect(first.jobs == 2 && second.jobs == 2)
    #expect(!first.batch.isEmpty && second.batch == first.batch)
    let queue = try fixture.client()
    #expect(try #require(try queue.batchStatus(first.batch)).total == 2)
    #expect(try queue.redis.command("ZCARD", fixture.keys.batches).int == 1)
  }
}

/// A job's own idempotency key promises its content: the same key with different content,
/// or from another desk, is refused (`conflict`), never answered with someone else's job.
extension SubmissionKeyTests {
  @Test func aJobKeyReusedForDifferentContentIsAConflictNotADuplicate() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let first = try queue.submit([chatJob("What was revenue?", key: "desk-a/q1")])
    #expect(first.jobs.map(\.status) == [.new])
    var later = chatJob("What was revenue?", key: "desk-a/q1")
    later.deadline = Date().timeIntervalSince1970 + 3600  // a moved deadline is the same content
    #expect(try queue.submit([later]).jobs.map(\.status) == [.duplicate])
    let other = try queue.submit([chatJob("What was the margin?", key: "desk-a/q1")])
    #expect(other.jobs.map(\.status) == [.conflict] && other.jobs[0].id == first.jobs[0].id)
    var otherDesk = chatJob("What was revenue?", key: "desk-a/q1")
    otherDesk.desk = "rates"
    #expect(try queue.submit([otherDesk]).jobs.map(\.status) == [.conflict])
    #expect(try queue.batchStatus(first.batch)?.total == 1)
  }
}
