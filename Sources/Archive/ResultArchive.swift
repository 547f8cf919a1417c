import Foundation
import GRDB
import NightdeskQueue
import NightdeskSupport

/// The result store that outlives Redis: every finished job (spec, state, result in the
/// bytes Redis held) and every batch's summary, in one SQLite file (WAL, so readers never
/// wait for the worker). `results`, `status` and `report` read it when Redis has let a
/// batch go, and render exactly what they rendered from Redis.
///
/// Writes are idempotent: a job is keyed by queue and id, and a newer fencing token
/// replaces an older copy of its state (a retried job that ran again) but never the
/// reverse; a result is inserted once and never replaced.
public final class ResultArchive: JobArchive {
  public let path: String
  private let database: DatabasePool
  /// Jobs a failed write (disk full, a locked file) left out, tried again with the next call.
  private let pending = LockedValue<[String]>([])

  /// Opens the archive at `path`; `create` (the worker) makes a new one when the file is
  /// missing, a reader is told it is missing. A file that is not an archive is refused.
  public init(path: String, create: Bool) throws(ArchiveError) {
    self.path = path
    let exists = FileManager.default.fileExists(atPath: path)
    if !exists && !create {
      throw ArchiveError("no archive at \(path) (a worker started with --archive \(path) creates it)")
    }
    var configuration = Configuration()
    // Several workers of one machine may share the file: a writer waits for another's transaction.
    configuration.busyMode = .timeout(10)
    do {
      database = try DatabasePool(path: path, configuration: configuration)
    } catch {
      throw ArchiveError("\(path) is not a nightdesk archive (SQLite cannot open it: \(Self.reason(error)))")
    }
    try prepare(create: create)
  }

  /// Checks the file is an archive (or a new, empty one the worker may make one), then migrates it.
  private func prepare(create: Bool) throws(ArchiveError) {
    do {
      let (application, tables) = try database.read { db in
        (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
         try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0)
      }
      if application != ArchiveSchema.applicationID {
        guard application == 0, tables == 0, create else {
          throw ArchiveError("\(path) is an SQLite database but not a nightdesk archive "
            + "(application_id \(application), \(tables) schema objects); give the path of an archive a worker wrote")
        }
        try database.write { db in try db.execute(sql: "PRAGMA application_id = \(ArchiveSchema.applicationID)") }
      }
      let migrator = ArchiveSchema.migrator
      if try database.read({ try migrator.hasBeenSuperseded($0) }) {
        throw ArchiveError("\(path) was written by a newer nightdesk (its schema has migrations this one does not know); "
          + "read it with that release or a later one")
      }
      try migrator.migrate(database)
    } catch let error as ArchiveError {
      throw error
    } catch {
      throw ArchiveError("\(path) is not a nightdesk archive (\(Self.reason(error)))")
    }
  }

  static func reason(_ error: any Error) -> String {
    (error as? DatabaseError)?.message ?? "\(error)"
  }

  // MARK: - Writing

  public func archive(jobs ids: [String], from queue: QueueClient) throws {
    let wanted = pending.withLock { waiting in
      defer { waiting = [] }
      return waiting + ids
    }
    do {
      try copy(Array(Set(wanted)), from: queue)
    } catch {
      // Bounded: an archive that stays broken must not grow the worker's memory without end.
      pending.withLock { $0 = Array(($0 + wanted).suffix(100_000)) }
      throw error
    }
  }

  /// Copies `ids` (the finished ones), their batches' summaries, and every job of a batch
  /// that is done, in one transaction.
  private func copy(_ ids: [String], from queue: QueueClient) throws {
    guard !ids.isEmpty else { return }
    var snapshots = try queue.snapshots(ids).filter { $0.state.isFinished }
    var counters: [String: [String: String]] = [:]
    var orders: [String: [String]] = [:]
    for batch in Set(snapshots.map(\.batch)) {
      let hash = try queue.batchHash(batch)
      guard let status = BatchStatus(batch: batch, hash: hash) else { continue }
      counters[batch] = hash
      if status.isDone {
        let order = try queue.jobIDs(ofBatch: batch)
        orders[batch] = order
        let known = Set(snapshots.map(\.id))
        snapshots += try queue.snapshots(order.filter { !known.contains($0) }).filter { $0.state.isFinished }
      }
    }
    try write(queue: queue.keys.namespace, snapshots: snapshots, counters: counters, orders: orders)
  }

  func write(queue: String, snapshots: [JobSnapshot], counters: [String: [String: String]], orders: [String: [String]]) throws {
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    var positions: [String: Int] = [:]
    for order in orders.values { for (index, id) in order.enumerated() { positions[id] = index } }
    do {
      try database.write { db in
        for job in snapshots {
          let fields = JSONWriter.string(.array(job.fields.map { $0.map(JSONValue.string) ?? .null }))
          try db.execute(sql: """
            INSERT INTO job (queue, id, batch, position, state, token, fields, spec, archived_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (queue, id) DO UPDATE SET
              batch = excluded.batch, position = excluded.position, state = excluded.state, token = excluded.token,
              fields = excluded.fields, spec = excluded.spec, archived_ms = excluded.archived_ms
            WHERE excluded.token >= job.token
            """, arguments: [queue, job.id, job.batch, positions[job.id] ?? Self.position(job.id), job.state.rawValue,
                             job.token, fields, job.spec.map { Data($0) }, now])
          if let result = job.result {
            try db.execute(sql: """
              INSERT INTO result (queue, job, token, body, archived_ms) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (queue, job) DO NOTHING
              """, arguments: [queue, job.id, job.token, Data(result), now])
          }
        }
        for (batch, hash) in counters {
          guard let status = BatchStatus(batch: batch, hash: hash) else { continue }
          let text = Self.countersText(hash)
          // A worker's older view of the counters never undoes a newer one's `done`.
          try db.execute(sql: """
            INSERT INTO batch (queue, id, desk, created_ms, total, done, counters, updated_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (queue, id) DO UPDATE SET
              desk = excluded.desk, created_ms = excluded.created_ms, total = excluded.total, done = excluded.done,
              counters = excluded.counters, updated_ms = excluded.updated_ms
            WHERE excluded.done >= batch.done
            """, arguments: [queue, batch, status.desk, status.created, status.total, status.isDone, text, now])
        }
      }
    } catch {
      throw ArchiveError("writing to the archive \(path) failed: \(Self.reason(error))")
    }
  }

  /// The counters hash as the `batch` table keeps it: JSON, keys sorted, so equal hashes are equal text.
  static func countersText(_ hash: [String: String]) -> String {
    var object = JSONObject()
    for key in hash.keys.sorted() { object[key] = .string(hash[key] ?? "") }
    return JSONWriter.string(.object(object))
  }

  /// A job id is `BATCH.N`, N its place in the batch: the order until the batch's list is read.
  static func position(_ id: String) -> Int {
    id.split(separator: ".").last.flatMap { Int($0) } ?? 0
  }

  // MARK: - Reading

  /// The batch's summary as its counters last stood.
  public func batchStatus(queue: String, batch: String) throws(ArchiveError) -> BatchStatus? {
    let text = try read { db in
      try String.fetchOne(db, sql: "SELECT counters FROM batch WHERE queue = ? AND id = ?", arguments: [queue, batch])
    }
    guard let text, let object = (try? JSONParser.parse(text))?.objectValue else { return nil }
    var hash: [String: String] = [:]
    for (key, value) in object.pairs { hash[key] = value.stringValue ?? "" }
    return BatchStatus(batch: batch, hash: hash)
  }

  /// True when the archive holds `batch` finished (every job of it copied) with `counters`, the
  /// batch's counters in Redis now: nothing changed since (no retry), so a sweep skips it.
  public func holdsFinished(queue: String, batch: String, counters: [String: String]) throws(ArchiveError) -> Bool {
    let text = Self.countersText(counters)
    return try read { db in
      try Bool.fetchOne(db, sql: "SELECT done FROM batch WHERE queue = ? AND id = ? AND counters = ?",
                        arguments: [queue, batch, text]) ?? false
    }
  }

  /// The archived jobs of `target` (a job id, or every job of a batch, in submission order).
  public func records(queue: String, target: String) throws(ArchiveError) -> [JobRecord] {
    try rows(queue: queue, target: target).map(\.record)
  }

  public func jobStatus(queue: String, job: String) throws(ArchiveError) -> JobStatus? {
    try rows(queue: queue, target: job).first?.status
  }

  /// How many jobs and results the archive holds for `queue` (tests, and `archive --json`).
  public func counts(queue: String) throws(ArchiveError) -> (jobs: Int, results: Int, batches: Int) {
    try read { db in
      let count = { (table: String) in
        try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE queue = ?", arguments: [queue]) ?? 0
      }
      return (try count("job"), try count("result"), try count("batch"))
    }
  }

  private func rows(queue: String, target: String) throws(ArchiveError) -> [JobSnapshot] {
    let filter = QueueIDs.isJobID(target) ? "j.id = ?" : "j.batch = ?"
    return try read { db in
      try Row.fetchAll(db, sql: """
        SELECT j.id, j.batch, j.state, j.token, j.fields, j.spec, r.body FROM job j
        LEFT JOIN result r ON r.queue = j.queue AND r.job = j.id
        WHERE j.queue = ? AND \(filter) ORDER BY j.position, j.rowid
        """, arguments: [queue, target]).compactMap { row -> JobSnapshot? in
        guard let state = JobState(rawValue: row["state"]),
          let fields = (try? JSONParser.parse(row["fields"] as String))?.arrayValue
        else { return nil }
        return JobSnapshot(
          id: row["id"], batch: row["batch"], state: state, token: row["token"], fields: fields.map(\.stringValue),
          spec: (row["spec"] as Data?).map { [UInt8]($0) }, result: (row["body"] as Data?).map { [UInt8]($0) })
      }
    }
  }

  private func read<T>(_ body: (Database) throws -> T) throws(ArchiveError) -> T {
    do { return try database.read(body) } catch {
      throw ArchiveError("reading the archive \(path) failed: \(Self.reason(error))")
    }
  }
}
