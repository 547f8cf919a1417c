import Foundation
import GRDB
import NightdeskArchive
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskTestSupport
import Testing

/// The archive keeps one copy of each job and of its result, whoever hands it over and
/// however often: a write retried, a job reclaimed and stored by its second worker.
@Suite struct ArchiveOnceTests {
  static func archivePath() throws -> String {
    try TestPaths.temporaryDirectory("archive").appendingPathComponent("a.sqlite").path
  }

  @Test func aReclaimedJobStoredAgainIsOneRowWithTheStoredResult() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let archive = try ResultArchive(path: try Self.archivePath(), create: true)
    let receipt = try queue.submit([chatJob("q")])
    let id = receipt.jobs[0].id
    let first = try #require(try queue.claim(worker: "a", count: 1, leaseMilliseconds: 100, reclaim: false).first)
    try await Task.sleep(for: .milliseconds(200))
    let second = try #require(try queue.claim(worker: "b", count: 1, leaseMilliseconds: 100, reclaim: true).first)
    #expect(try queue.complete(second.lease, result: result(for: second, worker: "b", text: "second")) == .stored)
    try archive.archive(jobs: [id], from: queue)
    // The first worker's late result is fenced, and it hands the job over anyway; the
    // second's write is retried (its first reply lost) and handed over again.
    #expect(try queue.complete(first.lease, result: result(for: first, worker: "a", text: "first")) == .fenced(state: "succeeded"))
    try archive.archive(jobs: [id], from: queue)
    #expect(try queue.complete(second.lease, result: result(for: second, worker: "b", text: "second")) == .stored)
    try archive.archive(jobs: [id, id], from: queue)

    let counts = try archive.counts(queue: fixture.keys.namespace)
    #expect(counts.jobs == 1 && counts.results == 1 && counts.batches == 1, "\(counts)")
    let records = try archive.records(queue: fixture.keys.namespace, target: id)
    #expect(records.count == 1)
    #expect(records.first?.result?.worker == "b")
    #expect(records.first?.result?.requests.first?.text == "second")
    #expect(records == (try queue.records([id])))
  }

  @Test func unfinishedJobsWaitAndQueuesStayApart() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let archive = try ResultArchive(path: try Self.archivePath(), create: true)
    let receipt = try queue.submit([chatJob("q1"), chatJob("q2")])
    try archive.archive(jobs: receipt.jobs.map(\.id), from: queue)
    #expect(try archive.counts(queue: fixture.keys.namespace).jobs == 0, "queued jobs were archived")
    let claimed = try queue.claim(worker: "a", count: 2, leaseMilliseconds: 10_000, reclaim: false)
    #expect(try queue.complete(claimed[0].lease, result: result(for: claimed[0], worker: "a")) == .stored)
    try archive.archive(jobs: [claimed[0].lease.job], from: queue)
    #expect(try archive.counts(queue: fixture.keys.namespace).jobs == 1)
    #expect(try archive.batchStatus(queue: fixture.keys.namespace, batch: receipt.batch)?.isDone == false)
    #expect(try archive.counts(queue: "other").jobs == 0)
    #expect(try archive.records(queue: "other", target: receipt.batch).isEmpty)
  }

  @Test func aFileThatIsNoArchiveIsRefusedAndLeftAlone() throws {
    let folder = try TestPaths.temporaryDirectory("archive")
    let other = folder.appendingPathComponent("other.sqlite").path
    let database = try DatabaseQueue(path: other)
    try database.write { try $0.execute(sql: "CREATE TABLE notes (body TEXT)") }
    for create in [false, true] {
      #expect {
        _ = try ResultArchive(path: other, create: create)
      } throws: { error in
        "\(error)".contains("\(other) is an SQLite database but not a nightdesk archive")
      }
    }
    #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") } == 1)
    // A new archive is made only by a writer, and opens again as one.
    let fresh = folder.appendingPathComponent("fresh.sqlite").path
    #expect(throws: ArchiveError.self) { _ = try ResultArchive(path: fresh, create: false) }
    _ = try ResultArchive(path: fresh, create: true)
    _ = try ResultArchive(path: fresh, create: false)
    let journal = try DatabaseQueue(path: fresh).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
    #expect(journal == "wal")
    // An archive a newer release migrated further is not read as if it were this one's.
    try DatabaseQueue(path: fresh).write { db in
      try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9: from the future')")
    }
    #expect {
      _ = try ResultArchive(path: fresh, create: false)
    } throws: { error in
      "\(error)".contains("\(fresh) was written by a newer nightdesk")
    }
  }
}
