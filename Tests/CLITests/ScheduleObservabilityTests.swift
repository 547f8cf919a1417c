import Foundation
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk schedule`'s logs and metrics as a log collector and Prometheus read them:
/// the real binary on a real redis-server.
@Suite(.serialized) struct ScheduleObservabilityTests {
  @Test func everyJSONLineCarriesTimeLevelAndItsEntryAndNeverThePassword() async throws {
    _ = try TestPaths.requireSmolLM2()
    let password = "pw-Sch3d-never-logged"
    let server = try RedisServerProcess(.init(tcp: true, requirePassword: password))
    let port = try #require(server.port)
    let (config, _) = try ScheduleCLITests.setUp(entries: ScheduleCLITests.entry("wire", cron: "* * * * *"))
    let outcome = try await NightdeskBinary.run([
      "schedule", "--once", "--config", config, "--types-dir", ScheduleCLITests.types, "--model", TestPaths.smolLM2.path,
      "--redis", "redis://:\(password)@127.0.0.1:\(port)/0", "--queue", "t", "--log-format", "json", "--log-level", "debug",
    ], environment: ["NIGHTDESK_METRICS_PORT": "0"])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(!outcome.stderr.contains(password) && !outcome.stdout.contains(password))
    var pass: JSONValue?
    var queuedArticles: Set<String> = []
    var seenArticles = 0
    for line in outcome.stderr.split(separator: "\n") {
      let entry = try JSONParser.parse(Array(line.utf8))
      let time = try #require(entry["time"]?.stringValue, "\(line)")
      #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(line)")
      #expect(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(entry["level"]?.stringValue ?? ""))
      #expect(entry["message"]?.stringValue?.isEmpty == false)
      switch entry["message"]?.stringValue ?? "" {
      case "article queued":
        #expect(entry["entry"]?.stringValue == "wire" && entry["batch"]?.stringValue != nil, "\(line)")
        queuedArticles.insert(try #require(entry["article"]?.stringValue))
      case "article seen before, skipped":
        #expect(entry["entry"]?.stringValue == "wire" && entry["article"]?.stringValue != nil, "\(line)")
        seenArticles += 1
      default:
        if entry["entry"]?.stringValue == "wire", entry["queued_articles"] != nil { pass = entry }
      }
    }
    // The pass's line carries its batch and counts; a line per article at debug.
    let batch = try #require(outcome.stdout.split(separator: "\n").first.map(String.init))
    let line = try #require(pass, "\(outcome.stderr)")
    #expect(line["level"]?.stringValue == "info" && line["batch"]?.stringValue == batch, "\(line)")
    #expect(line["queued_articles"]?.intValue == 4 && line["queued_jobs"]?.intValue == 8
      && line["seen_articles"]?.intValue == 3 && line["errors"]?.intValue == 0, "\(line)")
    #expect(queuedArticles.count == 4 && seenArticles == 3, "\(outcome.stderr)")
    // --once leaves the environment's metrics port to the daemon.
    #expect(!outcome.stderr.contains("metrics_port"), "\(outcome.stderr)")
  }

  @Test func metricsMoveAfterAPassAndHealthFollowsRedis() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let (config, _) = try ScheduleCLITests.setUp(entries: ScheduleCLITests.entry("wire", cron: "0 0 1 1 *"))
    let daemon = try ScheduleDaemon(ScheduleCLITests.arguments(server, config: config)
      + ["--metrics-port", "0", "--metrics-host", "127.0.0.1", "--log-format", "json"])
    defer { daemon.stop() }
    let port = try await PrometheusText.loggedPort(in: daemon.logFile)
    func samples() throws -> [String: Double] { try PrometheusText.samples(try PlainHTTP.get(port: port, path: "/metrics").body) }

    // The entry never ran, so the first pass queues the day's four stories (three seen twice).
    try await ConditionPoller.waitFor("the first pass in /metrics", timeout: .seconds(120)) {
      try samples()["nightdesk_schedule_runs_total{entry=\"wire\"}"] == 1
    }
    let metrics = try samples()
    #expect(metrics["nightdesk_schedule_articles_queued_total{entry=\"wire\"}"] == 4, "\(metrics)")
    #expect(metrics["nightdesk_schedule_jobs_queued_total{entry=\"wire\"}"] == 8)
    #expect(metrics["nightdesk_schedule_articles_seen_total{entry=\"wire\"}"] == 3)
    #expect(metrics["nightdesk_schedule_errors_total{entry=\"wire\"}"] == 0)
    let lastRun = try #require(metrics["nightdesk_schedule_last_run_timestamp_seconds{entry=\"wire\"}"])
    #expect(abs(lastRun - Date().timeIntervalSince1970) < 300, "\(lastRun)")
    // The queue's counts, as the worker publishes them: each article's chunk job queued,
    // its synthesis held until the chunk is done.
    try await ConditionPoller.waitFor("nightdesk_jobs{state=\"queued\"} to reach 4", timeout: .seconds(30)) {
      try samples()["nightdesk_jobs{state=\"queued\"}"] == 4
    }
    #expect(try samples()["nightdesk_jobs{state=\"held\"}"] == 4)
    #expect(try PlainHTTP.get(port: port, path: "/health").status == 200)

    // Redis gone: /health says so with 503 and the reason.
    server.kill()
    try await ConditionPoller.waitFor("/health to answer 503", timeout: .seconds(60)) {
      (try? PlainHTTP.get(port: port, path: "/health").status) == 503
    }
    #expect(try PlainHTTP.get(port: port, path: "/health").body.contains("Redis"))
  }
}
