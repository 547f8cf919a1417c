import Foundation
import NightdeskArchive
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// A batch run by a real worker with `--archive`, then dropped from Redis (its retention
/// over): `results`, `status` and `report` give from the archive what they gave from Redis.
@Suite(.serialized) struct ExpiredBatchTests {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples").path

  static func queueArguments(_ server: RedisServerProcess) -> [String] {
    ["--redis", "unix://\(server.socketPath)", "--queue", "t"]
  }

  static func run(_ arguments: [String], _ server: RedisServerProcess, environment: [String: String] = [:]) async throws
    -> NightdeskBinary.Outcome
  {
    try await NightdeskBinary.run(arguments + queueArguments(server), environment: environment)
  }

  static func submitted(_ outcome: NightdeskBinary.Outcome) throws -> String {
    #expect(outcome.status == 0, "\(outcome.stderr)")
    return try #require(try JSONParser.parse(outcome.stdout)["batch"]?.stringValue)
  }

  /// Drops every key of the queue, as their expiry would.
  static func expire(_ server: RedisServerProcess) throws {
    let redis = try RedisConnection(url: server.url)
    #expect(try redis.command("FLUSHDB").string == "OK")
    #expect(try redis.command("DBSIZE").int == 0)
  }

  @Test func anExpiredBatchGivesTheSameResultsAndStatusFromTheArchive() async throws {
    let server = try RedisServerProcess()
    let archive = try TestPaths.temporaryDirectory("archive").appendingPathComponent("night.sqlite").path
    let batch = try Self.submitted(try await Self.run(
      ["submit", "--openai-batch", "\(Self.samples)/analysis-batch.jsonl", "--json"], server))
    // One job cancelled before any worker runs: no worker finishes it, the batch's last job brings it along.
    #expect(try await Self.run(["cancel", "\(batch).1"], server).status == 0)
    let worker = try await Self.run(["worker", "--echo", "--drain", "--archive", archive], server)
    #expect(worker.status == 0, "\(worker.stderr)")

    let formats = ["openai", "json", "csv"]
    var before: [String: String] = [:]
    for format in formats {
      let outcome = try await Self.run(["results", batch, "--format", format], server)
      #expect(outcome.status == 0, "\(outcome.stderr)")
      before[format] = outcome.stdout
    }
    #expect(before["openai"]?.contains(#""code": "cancelled""#) == true, "\(before["openai"] ?? "")")
    let status = try await Self.run(["status", batch, "--json"], server)
    let jobStatus = try await Self.run(["status", "\(batch).0", "--json"], server)

    // A long batch's first job leaves Redis before the batch does: it comes from the archive.
    let redis = try RedisConnection(url: server.url)
    #expect(try redis.command("DEL", "nd:{t}:job:\(batch).0", "nd:{t}:result:\(batch).0").int == 2)
    let partial = try await Self.run(["results", batch, "--format", "openai", "--archive", archive], server)
    #expect(partial.stdout == before["openai"], "\(partial.stderr)")

    try Self.expire(server)
    let gone = try await Self.run(["results", batch, "--format", "openai"], server)
    #expect(gone.status != 0 && gone.stderr.contains("no batch '\(batch)'"), "\(gone.stderr)")

    for format in formats {
      let outcome = try await Self.run(["results", batch, "--format", format, "--archive", archive], server)
      #expect(outcome.status == 0, "\(outcome.stderr)")
      #expect(outcome.stdout == before[format], "--format \(format) differs once read from the archive")
    }
    // The environment variable names the archive too.
    let fromEnvironment = try await Self.run(["status", batch, "--json"], server, environment: ["NIGHTDESK_ARCHIVE": archive])
    #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
    #expect(fromEnvironment.stdout == status.stdout)
    #expect(try JSONParser.parse(fromEnvironment.stdout)["done"] == .bool(true))
    let archivedJob = try await Self.run(["status", "\(batch).0", "--json", "--archive", archive], server)
    #expect(archivedJob.stdout == jobStatus.stdout, "\(archivedJob.stderr)")
  }

  @Test func anExpiredTypedBatchGivesTheSameReportFromTheArchive() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let archive = try TestPaths.temporaryDirectory("archive").appendingPathComponent("night.sqlite").path
    let types = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path
    let batch = try Self.submitted(try await Self.run(
      ["submit", "--type", "contract-risk", "\(Self.samples)/ingest/contract-supply-agreement.md", "--types-dir", types,
       "--model", TestPaths.smolLM2.path, "--json"], server))
    let worker = try await Self.run(["worker", "--echo", "--drain", "--types-dir", types, "--archive", archive], server)
    #expect(worker.status == 0, "\(worker.stderr)")
    let report = try await Self.run(["report", batch, "--format", "json"], server)
    #expect(report.status == 0, "\(report.stderr)")

    try Self.expire(server)
    let archived = try await Self.run(["report", batch, "--format", "json", "--archive", archive], server)
    #expect(archived.status == 0, "\(archived.stderr)")
    #expect(archived.stdout == report.stdout)
    #expect(try JSONParser.parse(archived.stdout)["documents"]?.arrayValue?.count == 1)
  }

  @Test func aCancelledBatchIsCopiedByTheArchiveCommandOnceAndAgainWhenRetried() async throws {
    let server = try RedisServerProcess()
    let archive = try TestPaths.temporaryDirectory("archive").appendingPathComponent("night.sqlite").path
    let batch = try Self.submitted(try await Self.run(
      ["submit", "--openai-batch", "\(Self.samples)/analysis-batch.jsonl", "--json"], server))
    // No worker runs yet: the batch ends cancelled, and only `nightdesk archive` can keep it.
    #expect(try await Self.run(["cancel", batch], server).status == 0)
    for _ in 0..<2 {
      let copied = try await Self.run(["archive", "--archive", archive, "--json"], server)
      #expect(copied.status == 0, "\(copied.stderr)")
      #expect(try JSONParser.parse(copied.stdout) == ["batches": 1, "jobs": 3, "results": 0], "\(copied.stdout)")
    }
    // Retried and run (by a worker without an archive): the sweep sees the batch changed and copies it again.
    #expect(try await Self.run(["retry", batch], server).status == 0)
    #expect(try await Self.run(["worker", "--echo", "--drain"], server).status == 0)
    let copied = try await Self.run(["archive", "--archive", archive, "--json"], server)
    #expect(try JSONParser.parse(copied.stdout) == ["batches": 1, "jobs": 3, "results": 3], "\(copied.stdout)")
    let before = try await Self.run(["results", batch, "--format", "openai"], server)
    #expect(!before.stdout.contains("cancelled"))
    try Self.expire(server)
    let after = try await Self.run(["results", batch, "--format", "openai", "--archive", archive], server)
    #expect(after.status == 0, "\(after.stderr)")
    #expect(after.stdout == before.stdout)
  }

  @Test func theArchiveDaemonKeepsWhatWorkersWithoutAnArchiveFinished() async throws {
    let server = try RedisServerProcess()
    let archive = try TestPaths.temporaryDirectory("archive").appendingPathComponent("night.sqlite").path
    let daemon = Process()
    daemon.executableURL = NightdeskBinary.url
    daemon.arguments = ["archive", "--archive", archive, "--every", "0.2s"] + Self.queueArguments(server)
    daemon.standardOutput = FileHandle.nullDevice
    try daemon.run()
    // Should the test stop early: never leave the daemon behind (no blocking wait here).
    defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
    let batch = try Self.submitted(try await Self.run(
      ["submit", "--openai-batch", "\(Self.samples)/analysis-batch.jsonl", "--json"], server))
    let worker = try await Self.run(["worker", "--echo", "--drain"], server)
    #expect(worker.status == 0, "\(worker.stderr)")
    let before = try await Self.run(["results", batch, "--format", "openai"], server)
    try await ConditionPoller.waitFor("the daemon to archive batch \(batch)") {
      guard FileManager.default.fileExists(atPath: archive) else { return false }
      return try ResultArchive(path: archive, create: false).batchStatus(queue: "t", batch: batch)?.isDone == true
    }
    #expect(daemon.isRunning)
    try Self.expire(server)
    let after = try await Self.run(["results", batch, "--format", "openai", "--archive", archive], server)
    #expect(after.status == 0, "\(after.stderr)")
    #expect(after.stdout == before.stdout)
    // SIGTERM stops it, even when started with the signal blocked (as a test's threads have it).
    daemon.terminate()
    try await WorkerProcess.waitForExit(daemon)
    #expect(daemon.terminationReason == .uncaughtSignal && daemon.terminationStatus == SIGTERM)
  }

  @Test func aReaderIsToldWhenTheArchiveFileIsNotAnArchive() async throws {
    let server = try RedisServerProcess()
    let folder = try TestPaths.temporaryDirectory("archive")
    let text = folder.appendingPathComponent("notes.txt").path
    try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: text))
    let outcome = try await Self.run(["status", "b123", "--archive", text], server)
    #expect(outcome.status != 0)
    #expect(outcome.stderr.contains("\(text) is not a nightdesk archive"), "\(outcome.stderr)")
    let missing = folder.appendingPathComponent("none.sqlite").path
    let absent = try await Self.run(["results", "b123", "--archive", missing], server)
    #expect(absent.stderr.contains("no archive at \(missing)"), "\(absent.stderr)")
    #expect(!FileManager.default.fileExists(atPath: missing), "a reader created the archive")
  }
}
