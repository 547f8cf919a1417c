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
    let (worker, metricsPort) = try await Self.startWorker(fixture, ["--echo", "--worker-id", "wmetrics", "--lease", "5"])
    defer { Self.stop(worker) }
    try await ConditionPoller.waitFor("/health to answer 200", timeout: .seconds(30)) {
      (try? PlainHTTP.get(port: metricsPort, path: "/health").status) == 200
    }

    let receipt = try queue.submit((0..<4).map { chatJob("question \($0)") })
    try await ConditionPoller.waitFor("nightdesk_jobs{state=\"succeeded\"} to reach 4", timeout: .seconds(60)) {
      let answer = try PlainHTTP.get(port: metricsPort, path: "/metrics")
      return try PrometheusText.samples(answer.body)["nightdesk_jobs{state=\"succeeded\"}"] == 4
    }
    let samples = try PrometheusText.samples(try PlainHTTP.get(port: metricsPort, path: "/metrics").body)
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

  /// Starts `nightdesk worker ARGUMENTS --metrics-port 0` on the fixture's queue and
  /// returns it with the port the system chose, read from its JSON log.
  static func startWorker(_ fixture: QueueFixture, _ arguments: [String]) async throws -> (Process, Int) {
    let logFile = try TestPaths.temporaryDirectory("nd-metrics").appendingPathComponent("worker.log")
    FileManager.default.createFile(atPath: logFile.path, contents: nil)
    let worker = try WorkerProcess.launch(
      fixture, ["--metrics-port", "0", "--metrics-host", "127.0.0.1", "--log-format", "json"] + arguments,
      errors: try FileHandle(forWritingTo: logFile))
    do {
      return (worker, try await PrometheusText.loggedPort(in: logFile))
    } catch {
      stop(worker)
      throw error
    }
  }

  static func stop(_ worker: Process) {
    kill(worker.processIdentifier, SIGKILL)
  }

  /// The engine's metrics move with a real model: steps, tokens, KV blocks, the kernel level.
  @Test func engineMetricsFollowARealModel() async throws {
    let model = try TestPaths.requireSmolLM2()
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let (worker, metricsPort) = try await Self.startWorker(
      fixture, ["--model", model.path, "--threads", "1", "--kv-memory", "64MiB", "--max-sequences", "4"])
    defer { Self.stop(worker) }
    var job = chatJob("Name one colour.")
    job.requests[0].sampling.maxTokens = 4
    _ = try queue.submit([job])
    try await ConditionPoller.waitFor("the job to succeed in /metrics", timeout: .seconds(120)) {
      try PrometheusText.samples(try PlainHTTP.get(port: metricsPort, path: "/metrics").body)["nightdesk_jobs{state=\"succeeded\"}"] == 1
    }
    #expect(try PlainHTTP.get(port: metricsPort, path: "/health").status == 200)
    let samples = try PrometheusText.samples(try PlainHTTP.get(port: metricsPort, path: "/metrics").body)
    #expect((samples["nightdesk_engine_step_seconds_count"] ?? 0) >= 1, "\(samples)")
    #expect((samples["nightdesk_prompt_tokens_total"] ?? 0) > 0)
    #expect((samples["nightdesk_generated_tokens_total"] ?? 0) >= 1)
    #expect((samples["nightdesk_kv_blocks_total"] ?? 0) > 0)
    #expect(samples["nightdesk_prefix_cache_hit_ratio"] != nil && samples["nightdesk_engine_batch_sequences"] != nil)
    #expect(samples.keys.contains { $0.hasPrefix("nightdesk_kernel_level{level=") })
  }
}
