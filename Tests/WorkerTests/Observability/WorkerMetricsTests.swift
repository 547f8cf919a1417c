import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `worker --metrics-port`: the real binary's /metrics scraped over HTTP and parsed as
/// Prometheus text, and /health as Redis comes and goes.
@Suite struct WorkerMetricsTests {
  @Test func metricsFollowTheQueueAndHealthFollowsRedis() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let logFile = try TestPaths.temporaryDirectory("nd-metrics").appendingPathComponent("worker.log")
    FileManager.default.createFile(atPath: logFile.path, contents: nil)
    let worker = Process()
    worker.executableURL = NightdeskBinary.url
    worker.arguments = [
      "worker", "--echo", "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace,
      "--worker-id", "wmetrics", "--lease", "5", "--metrics-port", "0", "--metrics-host", "127.0.0.1", "--log-format", "json",
    ]
    worker.standardOutput = FileHandle.nullDevice
    worker.standardError = try FileHandle(forWritingTo: logFile)
    try worker.run()
    defer {
      worker.terminate()
      kill(worker.processIdentifier, SIGKILL)
    }
    // The port the system chose is in the worker's log.
    let port = LockedValue(0)
    try await ConditionPoller.waitFor("the metrics server's port in the log", timeout: .seconds(60)) {
      let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n") {
        if let entry = try? JSONParser.parse(Array(line.utf8)), let value = entry["metrics_port"]?.stringValue,
          let number = Int(value) { port.withLock { $0 = number } }
      }
      return port.current > 0
    }
    let metricsPort = port.current
    try await ConditionPoller.waitFor("/health to answer 200", timeout: .seconds(30)) {
      (try? PlainHTTP.get(port: metricsPort, path: "/health").status) == 200
    }

    let receipt = try queue.submit((0..<4).map { chatJob("question \($0)") })
    try await ConditionPoller.waitFor("nightdesk_jobs{state=\"succeeded\"} to reach 4", timeout: .seconds(60)) {
      let answer = try PlainHTTP.get(port: metricsPort, path: "/metrics")
      return try Self.samples(answer.body)["nightdesk_jobs{state=\"succeeded\"}"] == 4
    }
    let samples = try Self.samples(try PlainHTTP.get(port: metricsPort, path: "/metrics").body)
    #expect(samples["nightdesk_jobs{state=\"queued\"}"] == 0)
    #expect(samples["nightdesk_queue_depth{priority=\"normal\"}"] == 0)
    #expect(samples["nightdesk_reclaims_total"] == 0 && samples["nightdesk_dead_letters_total"] == 0)
    #expect(try queue.batchStatus(receipt.batch)?.count(.succeeded) == 4)

    // `queue stats --json` gives the same counts without Prometheus.
    let stats = try await NightdeskBinary.run([
      "queue", "stats", "--json", "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace,
    ])
    #expect(stats.status == 0, "\(stats.stderr)")
    let json = try JSONParser.parse(Array(stats.stdout.utf8))
    #expect(json["jobs"]?["succeeded"]?.intValue == 4, "\(stats.stdout)")
    #expect(json["jobs"]?["queued"]?.intValue == 0)

    // Redis gone: /health says so with 503 and the reason.
    fixture.server.kill()
    try await ConditionPoller.waitFor("/health to answer 503", timeout: .seconds(60)) {
      (try? PlainHTTP.get(port: metricsPort, path: "/health").status) == 503
    }
    let health = try PlainHTTP.get(port: metricsPort, path: "/health")
    #expect(health.body.contains("Redis"), "\(health.body)")
  }

  /// `name{labels} value` lines of Prometheus text, by `name{labels}`; comments must
  /// be HELP or TYPE lines, every other line a sample.
  static func samples(_ text: String) throws -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      if line.hasPrefix("#") {
        try #require(line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP "), "\(line)")
        continue
      }
      guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
        Issue.record("not a Prometheus sample: \(line)")
        continue
      }
      samples[String(line[..<space])] = value
    }
    return samples
  }
}
