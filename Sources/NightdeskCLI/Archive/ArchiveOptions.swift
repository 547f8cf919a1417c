import ArgumentParser
import Foundation
import NightdeskArchive
import NightdeskQueue

/// `--archive PATH` (else `$NIGHTDESK_ARCHIVE`): the SQLite file where finished jobs
/// outlive Redis. The worker writes it; `results`, `status` and `report` read it when
/// Redis no longer holds what they were asked for.
struct ArchiveOptions: ParsableArguments {
  @Option(name: .customLong("archive"), help: ArgumentHelp(
    "The result archive, an SQLite file that keeps finished jobs after Redis lets them go (default: $NIGHTDESK_ARCHIVE).",
    valueName: "path"))
  var path: String?

  var chosenPath: String? {
    FlagOrEnvironment.text(path, "NIGHTDESK_ARCHIVE")
  }

  /// The archive, if one was named; `create` makes a new file (the worker), else a missing one is an error.
  func open(create: Bool) throws -> ResultArchive? {
    guard let chosenPath else { return nil }
    do { return try ResultArchive(path: chosenPath, create: create) } catch { throw CommandFailure("--archive: \(error)") }
  }
}

/// What the read commands fall back on when Redis has let a job or batch go.
extension ArchiveOptions {
  /// The records of `target` from Redis, else from the archive; `notFound` when neither has it.
  func records(_ target: String, client: QueueClient) throws -> [JobRecord] {
    let ids: [String]
    do {
      ids = try client.jobIDs(target: target)
    } catch where error.kind == .notFound {
      guard let archive = try open(create: false) else { throw CommandFailure(error.message) }
      let records = try archived { try archive.records(queue: client.keys.namespace, target: target) }
      guard !records.isEmpty else { throw CommandFailure("\(error.message), nor in the archive \(archive.path)") }
      return records
    } catch {
      throw CommandFailure(error.message)
    }
    let records = try client.records(ids)
    // A long batch's first jobs leave Redis (their retention counts from their own end)
    // before the batch does: those come from the archive.
    guard records.count < ids.count, let archive = try open(create: false) else { return records }
    let held = Set(records.map(\.id))
    var fromArchive: [String: JobRecord] = [:]
    for record in try archived({ try archive.records(queue: client.keys.namespace, target: target) })
    where !held.contains(record.id) {
      fromArchive[record.id] = record
    }
    let fromRedis = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
    return ids.compactMap { fromRedis[$0] ?? fromArchive[$0] }
  }

  func batchStatus(_ batch: String, client: QueueClient) throws -> BatchStatus? {
    if let status = try client.batchStatus(batch) { return status }
    return try open(create: false).flatMap { archive in
      try archived { try archive.batchStatus(queue: client.keys.namespace, batch: batch) }
    }
  }

  func jobStatus(_ job: String, client: QueueClient) throws -> JobStatus? {
    if let status = try client.jobStatus(job) { return status }
    return try open(create: false).flatMap { archive in
      try archived { try archive.jobStatus(queue: client.keys.namespace, job: job) }
    }
  }
}

/// Runs an archive call; its error becomes one line naming --archive.
func archived<T>(_ body: () throws -> T) throws -> T {
  do { return try body() } catch let failure as CommandFailure { throw failure } catch {
    throw CommandFailure("--archive: \(error)")
  }
}
