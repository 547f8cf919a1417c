import GRDB

/// The archive's tables, one migration per change, never edited once released:
///
/// | table | key | holds |
/// | --- | --- | --- |
/// | `job` | queue, id | a finished job: its batch, position, state, fencing token, status fields (JSON array), spec (the stored bytes) |
/// | `result` | queue, job | the job's result, in the bytes Redis held; written once, never replaced |
/// | `batch` | queue, id | the batch's summary: desk, creation time, totals, its counters hash (JSON) |
///
/// `queue` is the queue's name (its key prefix `nd:{NAME}:`), so one file may keep several queues (desks).
enum ArchiveSchema {
  /// `PRAGMA application_id` of every archive ("NDAR"): how a file is told apart from other SQLite databases.
  static let applicationID: Int32 = 0x4E44_4152

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1: jobs, results, batches") { db in
      try db.execute(sql: """
        CREATE TABLE job (
          queue TEXT NOT NULL, id TEXT NOT NULL, batch TEXT NOT NULL, position INTEGER NOT NULL,
          state TEXT NOT NULL, token INTEGER NOT NULL, fields TEXT NOT NULL, spec BLOB,
          archived_ms INTEGER NOT NULL,
          PRIMARY KEY (queue, id));
        CREATE INDEX job_by_batch ON job (queue, batch, position);
        CREATE TABLE result (
          queue TEXT NOT NULL, job TEXT NOT NULL, token INTEGER NOT NULL, body BLOB NOT NULL,
          archived_ms INTEGER NOT NULL,
          PRIMARY KEY (queue, job));
        CREATE TABLE batch (
          queue TEXT NOT NULL, id TEXT NOT NULL, desk TEXT NOT NULL, created_ms INTEGER NOT NULL,
          total INTEGER NOT NULL, done INTEGER NOT NULL, counters TEXT NOT NULL, updated_ms INTEGER NOT NULL,
          PRIMARY KEY (queue, id));
        """)
    }
    return migrator
  }
}
