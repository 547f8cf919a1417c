import Foundation
import Logging
import NightdeskIngest
import NightdeskQueue
import NightdeskRedis

/// Runs the entries of a schedules file against one queue: each due entry reads its
/// source, skips the articles it has seen, queues the rest (each under a key made from
/// its identity) and marks them seen; the entry's run is recorded once its pass is done.
///
/// Never twice, also across restarts: an article is marked seen only after its jobs are
/// queued, and its jobs carry idempotency keys made from its URL or content, so a pass
/// cut short between the two (a crash, a kill) is redone by the next one with nothing
/// queued twice (the queue answers `duplicate`). A pass stopped by a signal stops between
/// articles and leaves its run unrecorded, so the entry stays due.
public final class ScheduleRunner {
  public let config: ScheduleConfig
  let client: QueueClient
  let store: ScheduleStore
  let makeJobs: (ScheduleEntry) throws -> any ArticleJobMaker
  let logger: Logger
  private var makers: [String: any ArticleJobMaker] = [:]

  /// - Parameters:
  ///   - seenDays: how long a seen article is remembered (default 90 days).
  ///   - makeJobs: the job maker of an entry, asked for once, when it first runs.
  ///   - logger: gets a line per pass (info, with the entry, its batch and its counts),
  ///     per error (error) and per article (debug, with its submission key).
  public init(config: ScheduleConfig, client: QueueClient, seenDays: Int = 90,
              makeJobs: @escaping (ScheduleEntry) throws -> any ArticleJobMaker, logger: Logger) {
    self.config = config
    self.client = client
    store = ScheduleStore(redis: client.redis, keys: client.keys, seenDays: seenDays)
    self.makeJobs = makeJobs
    self.logger = logger
  }

  /// Every entry once: those due at `now` run, the others are reported as not due.
  /// Due means never run, or a minute its cron names has come since its last run.
  /// - Parameter logNotDue: also log the entries that were not due (the daemon, looking
  ///   every minute, does not).
  public func runDue(now: Date = Date(), stop: StopRequest, logNotDue: Bool = true) throws -> [PassReport] {
    var reports: [PassReport] = []
    for entry in config.entries {
      if stop.isRequested { break }
      let due = entry.cron.isDue(lastRun: try store.lastRun(entry.name), now: now, calendar: config.calendar)
      let report = due ? try pass(entry, startedAt: now, stop: stop) : PassReport(entry: entry.name, due: false)
      if due { ScheduleMetrics.record(report, at: now) }
      if due || logNotDue { logger.info("\(report.summary)", metadata: report.metadata) }
      for error in report.errors {
        logger.error("\(entry.name): \(error)", metadata: ["entry": "\(entry.name)", "error": "\(error)"])
      }
      reports.append(report)
    }
    return reports
  }

  /// Until a stop: the due entries at start, then at the start of every minute. A Redis
  /// that cannot be reached is reported and tried again the next minute.
  public func runUntilStopped(stop: StopRequest) {
    while !stop.isRequested {
      do {
        _ = try runDue(now: Date(), stop: stop, logNotDue: false)
      } catch {
        ScheduleMetrics.recordFailedPass()
        logger.error("pass failed (tried again next minute): \(error)", metadata: ["error": "\(error)"])
      }
      let minute = config.calendar.dateInterval(of: .minute, for: Date())?.end ?? Date().addingTimeInterval(60)
      if !stop.sleep(until: minute) { break }
    }
  }

  /// One entry's pass over its source.
  func pass(_ entry: ScheduleEntry, startedAt: Date, stop: StopRequest) throws -> PassReport {
    var report = PassReport(entry: entry.name, due: true)
    let maker: any ArticleJobMaker
    if let known = makers[entry.name] {
      maker = known
    } else {
      maker = try makeJobs(entry)
      makers[entry.name] = maker
    }
    try store.forgetOld(entry.name, now: startedAt)
    // The same story may come twice in one pass (a day's JSONL and its RSS): once is enough.
    var seenNow = Set<String>()
    var batch: String?
    var failure: (any Error)?
    let readErrors = entry.source.readArticles(family: entry.type.input) { document in
      if stop.isRequested {
        report.stopped = true
        return false
      }
      do {
        let identity = ArticleIdentity(document)
        let seen = try identity.seenMembers.contains(where: seenNow.contains) || store.isSeen(identity, entry: entry.name)
        let key = identity.submissionKey(entry: entry.name)
        if seen {
          report.seenArticles += 1
          logger.debug("article seen before, skipped", metadata: ["entry": "\(entry.name)", "article": "\(key)"])
          return true
        }
        let specs: [JobSpec]
        do {
          specs = try maker.jobs(for: document, group: key).enumerated().map { position, spec in
            var keyed = spec
            keyed.idempotencyKey = "\(key)#\(position)"
            return keyed
          }
        } catch {
          // Left unseen: a job type fixed later takes it in.
          report.errors.append("\(document.title ?? document.source): \(error)")
          return true
        }
        let receipt = try client.submit(specs, toBatch: batch)
        let new = receipt.jobs.filter { $0.status == .new }.count
        let conflicts = receipt.jobs.filter { $0.status == .conflict }.count
        if new > 0 {
          batch = receipt.batch
          report.batch = receipt.batch
          report.queuedArticles += 1
          report.queuedJobs += new
          logger.debug("article queued", metadata: [
            "entry": "\(entry.name)", "batch": "\(receipt.batch)", "article": "\(key)", "jobs": "\(new)",
          ])
        } else if conflicts == 0 {
          report.alreadyQueued += 1
        }
        if conflicts > 0 {
          report.errors.append("\(document.title ?? document.source): \(conflicts) job(s) were queued before under "
            + "\(key) with other content (was the job type changed?); not queued again")
        }
        try store.markSeen(identity, entry: entry.name, at: startedAt)
        seenNow.formUnion(identity.seenMembers)
        return true
      } catch {
        failure = error
        return false
      }
    }
    if let failure { throw failure }
    report.errors += readErrors.map(\.description)
    if !report.stopped {
      try store.recordRun(entry.name, at: startedAt, batch: report.batch, queued: report.queuedArticles)
    }
    return report
  }
}
