import ArgumentParser
import Foundation
import NightdeskQueue

/// `nightdesk watch BATCH`: live progress until the batch is done.
struct WatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch", abstract: "Follow a batch until it is done: a progress bar with tokens/s and ETA.",
    usage: "nightdesk watch <batch> [--interval <seconds>] [<options>]",
    discussion: """
      On a terminal the bar redraws in place; otherwise (a pipe, a log file) one plain \
      line is printed whenever progress changes. It follows the queue's event stream: a \
      job's change of state shows at once, token counts every --interval. Returns once every job of the batch has \
      finished (succeeded, failed, cancelled or dead).

      While jobs of the batch are unfinished and no worker of the queue has sent a \
      heartbeat for 6 s (workers beat every second), it says so once on stderr, and \
      again when a worker is back; it keeps watching, since a worker may still come. \
      --fail-without-worker makes it give up instead, with exit status 1.

      Exit status: 0 when every job of the batch succeeded (or was cancelled); 3 when \
      the batch finished with failed or dead jobs (a line on stderr counts them); 1 on \
      an error (an unknown batch, an unreachable Redis, --fail-without-worker).

      Examples:
        nightdesk watch b1kz3x9q2abcd
        nightdesk watch b1kz3x9q2abcd --interval 10 >> night.log
        nightdesk watch b1kz3x9q2abcd --fail-without-worker 300   # in a script that started the worker
      """)

  /// The exit status of a batch that finished with failed or dead jobs: distinct from
  /// 1 (watch itself failed) and 64 (usage), so a script can tell "the night's work
  /// needs a look" from "watch could not follow it".
  static let unsuccessfulJobsExitCode: Int32 = 3

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Argument(help: ArgumentHelp("A batch id, as submit printed it.", valueName: "batch")) var batch: String
  @Option(help: ArgumentHelp("Seconds between updates of the token counts and ETA (a job's change of state shows at once).", valueName: "seconds")) var interval: Double = 1
  @Option(help: ArgumentHelp(
    "Exit with status 1 once no worker has been live for this many seconds while jobs of the batch are unfinished "
      + "(a worker counts as live for 6 s after each heartbeat, so values below 6 act as 6).",
    valueName: "seconds")) var failWithoutWorker: Double?

  func validate() throws {
    if let failWithoutWorker, !(failWithoutWorker > 0) || !failWithoutWorker.isFinite {
      throw ValidationError("--fail-without-worker must be a number of seconds above 0 (got \(failWithoutWorker))")
    }
  }

  func run() async throws {
    let client = try queue.client("watch")
    let terminal = isatty(STDOUT_FILENO) == 1
    var rate = ProgressRate()
    var lastLine = ""
    var cursor = try client.eventCursor()
    var workers = WorkerAbsence(batch: batch, failAfter: failWithoutWorker)
    while true {
      guard let status = try client.batchStatus(batch) else { throw notFound("batch", batch) }
      rate.observe(finished: status.finished, tokens: status.generatedTokens, at: Date().timeIntervalSince1970)
      let line = BatchText.bar(status, tokensPerSecond: rate.tokensPerSecond, eta: rate.eta(remaining: status.total - status.finished))
      if terminal {
        print("\r\u{1B}[2K" + line, terminator: "")
        fflush(nil)
      } else if BatchText.line(status) != lastLine {
        lastLine = BatchText.line(status)
        print(lastLine)
        fflush(nil)
      }
      if status.isDone {
        if terminal { print("\n" + BatchText.line(status)) }
        try Self.judge(status)
        return
      }
      try workers.check(client, unfinished: status.total - status.finished, terminal: terminal)
      // Redraw when one of the batch's jobs changes state, or after --interval for the
      // token counts (progress is not an event); at most 10 times a second. The wait is
      // cut into seconds so that a worker's absence is noticed whatever the interval.
      let period = Duration.milliseconds(Int(max(0.1, interval) * 1000))
      let nextDraw = ContinuousClock.now + .milliseconds(100)
      let until = ContinuousClock.now + period
      while ContinuousClock.now < until {
        let next = try client.events(after: cursor, timeout: min(until - ContinuousClock.now, .seconds(1)))
        cursor = next.cursor
        if next.events.contains(where: { $0.batch == batch }) { break }
        try workers.check(client, unfinished: status.total - status.finished, terminal: terminal)
      }
      if ContinuousClock.now < nextDraw { try await Task.sleep(until: nextDraw) }
    }
  }
}

extension WatchCommand {
  /// A finished batch with failed or dead jobs: one line on stderr, then exit status 3.
  static func judge(_ status: BatchStatus) throws {
    let failed = status.count(.failed)
    let dead = status.count(.dead)
    guard failed + dead > 0 else { return }
    let counts = [(failed, "failed"), (dead, "dead")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
    FileHandle.standardError.write(Data((
      "watch: batch \(status.batch) finished with \(counts.joined(separator: " and ")) of \(status.total) jobs "
        + "(nightdesk list --state failed, --state dead; nightdesk retry \(status.batch))\n").utf8))
    throw ExitCode(unsuccessfulJobsExitCode)
  }
}

/// Whether anyone is running the batch: a dead worker leaves its jobs `running` (until
/// their lease lapses) or `queued`, and the bar would wait for ever without a word.
/// Silence is the time since the newest heartbeat of any worker of the queue, or since
/// watch started if that is later (a worker just started may still be loading its model).
struct WorkerAbsence {
  let batch: String
  /// `--fail-without-worker`.
  let failAfter: Double?
  private let started = ContinuousClock.now
  private var lastCheck: ContinuousClock.Instant?
  private var reported = false

  init(batch: String, failAfter: Double?) {
    self.batch = batch
    self.failAfter = failAfter
  }

  /// Says on stderr when the batch's jobs lose their last live worker and when one is
  /// back, once per change; throws once `failAfter` has passed without one. Reads Redis
  /// at most once a second, however busy the event stream.
  mutating func check(_ client: QueueClient, unfinished: Int, terminal: Bool) throws {
    let now = ContinuousClock.now
    guard unfinished > 0, lastCheck.map({ now - $0 >= .seconds(1) }) ?? true else { return }
    lastCheck = now
    let age = try client.newestHeartbeatAge()
    let sinceStart = seconds(now - started)
    let silence = min(age ?? .infinity, sinceStart)
    var absent = silence >= QueueClient.heartbeatLapseSeconds
    // The count is from the last redraw: the last worker may have finished the batch and
    // unregistered since. Read it again before saying nobody runs the jobs.
    var unfinished = unfinished
    if absent, let status = try client.batchStatus(batch) {
      unfinished = status.total - status.finished
      if unfinished == 0 { absent = false }
    }
    if absent != reported {
      reported = absent
      // On a terminal the bar has no newline yet: end its line first.
      let message = absent ? "no live worker: " + situation(unfinished: unfinished, age: age, client: client)
        + " (start one: nightdesk worker --model MODEL, on this Redis and queue)"
        : "a worker is live again; following batch \(batch)"
      FileHandle.standardError.write(Data(((terminal ? "\n" : "") + "watch: \(message)\n").utf8))
    }
    if absent, let failAfter, silence >= failAfter {
      throw CommandFailure(
        "no live worker for \(BatchText.duration(silence)) (--fail-without-worker \(BatchText.duration(failAfter))): "
          + situation(unfinished: unfinished, age: age, client: client))
    }
  }

  private func situation(unfinished: Int, age: Double?, client: QueueClient) -> String {
    let jobs = unfinished == 1 ? "1 job of batch \(batch) is" : "\(unfinished) jobs of batch \(batch) are"
    let seen = age.map { "no worker has been seen for \(BatchText.duration($0))" }
      ?? "no worker has registered on queue '\(client.keys.namespace)'"
    return "\(jobs) waiting and \(seen)"
  }

  private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}

/// Tokens/s and jobs/s over a sliding window of observations, for the bar and its ETA.
struct ProgressRate {
  private var samples: [(time: Double, finished: Int, tokens: Int)] = []
  let window: Double = 20

  mutating func observe(finished: Int, tokens: Int, at time: Double) {
    samples.append((time, finished, tokens))
    while let first = samples.first, time - first.time > window, samples.count > 2 { samples.removeFirst() }
  }

  private var span: Double { (samples.last?.time ?? 0) - (samples.first?.time ?? 0) }

  var tokensPerSecond: Double {
    guard let first = samples.first, let last = samples.last, span > 0 else { return 0 }
    return Double(last.tokens - first.tokens) / span
  }

  func eta(remaining: Int) -> Double? {
    guard let first = samples.first, let last = samples.last, span > 0, last.finished > first.finished else { return nil }
    return Double(remaining) / (Double(last.finished - first.finished) / span)
  }
}
