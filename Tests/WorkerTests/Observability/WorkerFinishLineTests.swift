import Foundation
import Logging
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskSupport
import NightdeskWorker
import Testing

/// One `job finished` line per attempt, naming how it ended: retries, the dead letter
/// and the success, in-process on a real redis-server with a failing echo executor.
@Suite struct WorkerFinishLineTests {
  /// Keeps every line a logger writes, with its metadata (this suite's own handler).
  final class Lines: @unchecked Sendable {
    // @unchecked: `entries` is a LockedValue.
    let entries = LockedValue<[(message: String, metadata: Logger.Metadata)]>([])
  }

  struct KeepingHandler: LogHandler {
    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
      let merged = metadata.merging(event.metadata ?? [:]) { $1 }
      lines.entries.withLock { $0.append(("\(event.message)", merged)) }
    }
  }

  @Test func everyAttemptEndsInOneLineWithItsState() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("flaky", maxAttempts: 3), chatJob("doomed", maxAttempts: 2)])
    let lines = Lines()
    let configuration = WorkerConfiguration(
      redisURL: fixture.server.url, keys: fixture.keys, workerID: "wlines", renewInterval: .milliseconds(200),
      pollInterval: .milliseconds(20), drain: true, backoff: Backoff(base: .milliseconds(50), maximum: .milliseconds(200)))
    let worker = Worker(configuration: configuration, executor: EchoExecutor(failingAttempts: 2),
                        logger: Logger(label: "test") { _ in KeepingHandler(lines: lines) })
    _ = try await worker.run()
    let finished = lines.entries.current.filter { $0.message == "job finished" }
    func states(_ job: String) -> [String] {
      finished.filter { $0.metadata["job"] == "\(job)" }.map { $0.metadata["state"]?.description ?? "?" }
    }
    #expect(states(receipt.jobs[0].id) == ["delayed", "delayed", "succeeded"])
    #expect(states(receipt.jobs[1].id) == ["delayed", "dead"])
    #expect(finished.allSatisfy { $0.metadata["worker"] == "wlines" && $0.metadata["batch"] == "\(receipt.batch)" })
    #expect(finished.filter { $0.metadata["state"] != "succeeded" }.allSatisfy { $0.metadata["error"] != nil })
  }
}
