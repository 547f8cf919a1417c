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

      Examples:
        nightdesk watch b1kz3x9q2abcd
        nightdesk watch b1kz3x9q2abcd --interval 10 >> night.log
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Argument(help: ArgumentHelp("A batch id, as submit printed it.", valueName: "batch")) var batch: String
  @Option(help: ArgumentHelp("Seconds between updates of the token counts and ETA (a job's change of state shows at once).", valueName: "seconds")) var interval: Double = 1

  func run() async throws {
    let client = try queue.client("watch")
    let terminal = isatty(STDOUT_FILENO) == 1
    var rate = ProgressRate()
    var lastLine = ""
    var cursor = try client.eventCursor()
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
        return
      }
      // Redraw when one of the batch's jobs changes state, or after --interval for the
      // token counts (progress is not an event); at most 10 times a second.
      let period = Duration.milliseconds(Int(max(0.1, interval) * 1000))
      let nextDraw = ContinuousClock.now + .milliseconds(100)
      let until = ContinuousClock.now + period
      while ContinuousClock.now < until {
        let next = try client.events(after: cursor, timeout: until - ContinuousClock.now)
        cursor = next.cursor
        if next.events.contains(where: { $0.batch == batch }) { break }
      }
      if ContinuousClock.now < nextDraw { try await Task.sleep(until: nextDraw) }
    }
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
