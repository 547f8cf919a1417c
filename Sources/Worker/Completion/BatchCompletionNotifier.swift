import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import NightdeskQueue
import NightdeskSupport

/// Sends the news of finished batches (`submit --on-complete`). The finish script that
/// ends a batch queues its id once; the lease keeper's thread calls `poll` every tick,
/// and whichever worker takes an id (LPOP: one taker) delivers it, off that thread:
///
/// - a URL gets the event JSON in a POST (`Content-Type: application/json`), 10 s timeout;
/// - a command runs under `/bin/sh -c` with the event JSON on standard input and in
///   `NIGHTDESK_EVENT`, and the batch id in `NIGHTDESK_BATCH`, for at most 60 s. Only a
///   worker started with `--allow-on-complete-commands` takes command notices: a producer
///   must not run commands on a worker's machine unless its operator said so.
///
/// Delivery is at most once: a worker that dies between taking a notice and sending it
/// loses it (the batch's status still says it finished).
final class BatchCompletionNotifier: Sendable {
  private let allowCommands: Bool
  private let logger: Logger
  /// Deliveries under way, so a stopping worker (`--drain`) sends what it took first.
  private let underway = DispatchGroup()

  init(allowCommands: Bool, logger: Logger) {
    self.allowCommands = allowCommands
    self.logger = logger
  }

  /// Takes the notices due (a few per call) and starts their delivery.
  func poll(_ queue: QueueClient) throws(QueueError) {
    let kinds: [BatchCompletionTarget.Kind] = allowCommands ? [.url, .command] : [.url]
    for kind in kinds {
      for _ in 0..<8 {
        guard let (target, status) = try queue.takeCompletion(kind) else { break }
        deliver(JSONWriter.string(status.completionEvent), to: target, batch: status.batch)
      }
    }
  }

  /// Returns when every delivery started has ended, or after `timeout`.
  func finishDeliveries(timeout: Duration) async {
    let underway = self.underway
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      DispatchQueue.global().async {
        _ = underway.wait(timeout: .now() + seconds(timeout))
        continuation.resume()
      }
    }
  }

  private func deliver(_ event: String, to target: BatchCompletionTarget, batch: String) {
    let underway = self.underway
    underway.enter()
    var tagged = self.logger
    tagged[metadataKey: "batch"] = "\(batch)"
    let logger = tagged
    switch target {
    case .url(let text):
      guard let url = URL(string: text) else {
        underway.leave()
        return
      }
      var request = URLRequest(url: url, timeoutInterval: 10)
      request.httpMethod = "POST"
      request.setValue("application/json", forHTTPHeaderField: "Content-Type")
      request.httpBody = Data(event.utf8)
      URLSession.shared.dataTask(with: request) { _, response, error in
        defer { underway.leave() }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if let error {
          logger.warning("batch completion notice not delivered", metadata: ["on_complete": "url", "error": "\(error)"])
        } else if !(200..<300).contains(status) {
          logger.warning("batch completion notice refused", metadata: ["on_complete": "url", "http_status": "\(status)"])
        } else {
          logger.info("batch completion notice delivered", metadata: ["on_complete": "url", "http_status": "\(status)"])
        }
      }.resume()
    case .command(let text):
      DispatchQueue.global().async {
        Self.run(command: text, event: event, batch: batch, logger: logger)
        underway.leave()
      }
    }
  }

  private static func run(command: String, event: String, batch: String, logger: Logger) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    // The worker's Redis credentials are not the command's business.
    process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIGHTDESK_REDIS") }
      .merging(["NIGHTDESK_EVENT": event, "NIGHTDESK_BATCH": batch]) { $1 }
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    let ended = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in ended.signal() }
    do {
      try process.run()
    } catch {
      logger.warning("batch completion command could not start", metadata: ["on_complete": "command", "error": "\(error)"])
      return
    }
    input.fileHandleForWriting.write(Data(event.utf8))
    try? input.fileHandleForWriting.close()
    if ended.wait(timeout: .now() + 60) == .timedOut {
      process.terminate()
      logger.warning("batch completion command stopped after 60 s", metadata: ["on_complete": "command"])
      return
    }
    let status = process.terminationStatus
    if status == 0 {
      logger.info("batch completion command ran", metadata: ["on_complete": "command"])
    } else {
      logger.warning("batch completion command failed", metadata: ["on_complete": "command", "exit_status": "\(status)"])
    }
  }
}
