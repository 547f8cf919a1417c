import Foundation
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk schedule` through the binary on a private redis-server: due entries fire,
/// nothing goes in twice across runs (nor after a run cut short between queuing and
/// marking seen), a new article goes in alone, a bad file is refused with its line, and
/// SIGTERM ends the daemon with status 0.
@Suite(.serialized) struct ScheduleCLITests {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples/ingest")
  static let types = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path

  /// A folder with `schedules.yaml` (the entries given) and `news/`, holding the sample
  /// day's JSONL and RSS (the RSS repeats three of the JSONL's four stories).
  static func setUp(entries: String) throws -> (config: String, news: URL) {
    let folder = try TestPaths.temporaryDirectory("schedule")
    let news = folder.appendingPathComponent("news")
    try FileManager.default.createDirectory(at: news, withIntermediateDirectories: true)
    for name in ["news-2026-11-27.jsonl", "news-2026-11-27.rss"] {
      try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: news.appendingPathComponent(name))
    }
    let config = folder.appendingPathComponent("schedules.yaml").path
    try Data(("schedules:\n" + entries).utf8).write(to: URL(fileURLWithPath: config))
    return (config, news)
  }

  static func entry(_ name: String, cron: String) -> String {
    """
      - name: \(name)
        cron: "\(cron)"
        source: {folder: news}
        type: news-digest
        desk: markets

    """
  }

  static func arguments(_ server: RedisServerProcess, config: String) -> [String] {
    ["schedule", "--config", config, "--types-dir", types, "--model", TestPaths.smolLM2.path,
     "--redis", "unix://\(server.socketPath)", "--queue", "t"]
  }

  /// `schedule --once --json`: the entries' reports by name.
  static func once(_ server: RedisServerProcess, config: String) async throws -> [String: JSONValue] {
    let outcome = try await NightdeskBinary.run(arguments(server, config: config) + ["--once", "--json"])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try JSONParser.parse(outcome.stdout)
    var reports: [String: JSONValue] = [:]
    for report in json["entries"]?.arrayValue ?? [] { reports[report["entry"]?.stringValue ?? ""] = report }
    return reports
  }

  /// Makes the entry look as if it last ran an hour ago, so its every-minute cron is due now.
  static func ranAnHourAgo(_ server: RedisServerProcess, entry: String) throws {
    let redis = try RedisConnection(url: server.url)
    let hourAgo = Int64((Date().timeIntervalSince1970 - 3600) * 1000)
    try redis.command("HSET", "nd:{t}:schedule:\(entry)", "last_run", String(hourAgo))
  }

  static func jobCount(_ server: RedisServerProcess, batch: String) async throws -> JSONValue? {
    let status = try await NightdeskBinary.run(["status", batch, "--json", "--redis", "unix://\(server.socketPath)",
                                                "--queue", "t"])
    return try JSONParser.parse(status.stdout)["total"]
  }

  @Test func dueEntriesFireAndNothingIsQueuedTwiceAcrossRuns() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let (config, news) = try Self.setUp(entries: Self.entry("wire", cron: "* * * * *") + Self.entry("yearly", cron: "0 0 1 1 *"))

    // Never run: both are due. Four stories (the RSS's three are seen in the same pass).
    let first = try await Self.once(server, config: config)
    for name in ["wire", "yearly"] {
      let report = try #require(first[name])
      #expect(report["due"] == true && report["queued_articles"] == 4 && report["queued_jobs"] == 8
        && report["seen_articles"] == 3 && report["errors"] == [], "\(report)")
    }
    let batch = try #require(first["wire"]?["batch"]?.stringValue)
    #expect(try await Self.jobCount(server, batch: batch) == 8)

    // Run again (a restart): the every-minute entry is due and queues nothing; the yearly one is not due.
    try Self.ranAnHourAgo(server, entry: "wire")
    let second = try await Self.once(server, config: config)
    #expect(second["wire"]?["due"] == true && second["wire"]?["queued_articles"] == 0
      && second["wire"]?["seen_articles"] == 7 && second["wire"]?["batch"] == .null, "\(second)")
    #expect(second["yearly"]?["due"] == false, "\(second)")

    // A new article: only it goes in.
    let handle = try FileHandle(forWritingTo: news.appendingPathComponent("news-2026-11-27.jsonl"))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(("""
      {"id": "tw-005", "title": "Tessaly grain exports rise", "published": "2026-11-27T16:00:00Z", \
      "url": "https://news.example/tessaly/grain", "body": "Grain exports through Tessaly rose 12% in November."}

      """).utf8))
    try handle.close()
    try Self.ranAnHourAgo(server, entry: "wire")
    let third = try await Self.once(server, config: config)
    #expect(third["wire"]?["queued_articles"] == 1 && third["wire"]?["queued_jobs"] == 2
      && third["wire"]?["seen_articles"] == 7, "\(third)")
    let newBatch = try #require(third["wire"]?["batch"]?.stringValue)
    #expect(newBatch != batch)
    #expect(try await Self.jobCount(server, batch: newBatch) == 2)
  }

  @Test func aRunCutShortBeforeMarkingSeenIsFinishedWithoutQueuingTwice() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let (config, _) = try Self.setUp(entries: Self.entry("wire", cron: "* * * * *"))
    let first = try await Self.once(server, config: config)
    #expect(first["wire"]?["queued_articles"] == 4, "\(first)")
    // What a crash after queuing and before marking seen leaves: jobs queued, nothing seen, no run recorded.
    let redis = try RedisConnection(url: server.url)
    try redis.command("DEL", "nd:{t}:schedule:wire:seen", "nd:{t}:schedule:wire")
    let again = try await Self.once(server, config: config)
    #expect(again["wire"]?["due"] == true && again["wire"]?["queued_articles"] == 0
      && again["wire"]?["already_queued"] == 4 && again["wire"]?["batch"] == .null, "\(again)")
    // And now they are seen.
    try Self.ranAnHourAgo(server, entry: "wire")
    let third = try await Self.once(server, config: config)
    #expect(third["wire"]?["seen_articles"] == 7 && third["wire"]?["already_queued"] == 0, "\(third)")
    let batches = try redis.command("ZCARD", "nd:{t}:batches")
    #expect(batches.int == 1)
  }

  @Test func aBadScheduleFileIsRefusedWithItsLine() async throws {
    let server = try RedisServerProcess()
    let (config, _) = try Self.setUp(entries: Self.entry("wire", cron: "*/5 25 * * *"))
    let outcome = try await NightdeskBinary.run(Self.arguments(server, config: config) + ["--once"])
    #expect(outcome.status == 1)
    #expect(outcome.stderr.contains("schedules.yaml:3: schedules[0].cron: hour field '25': 25 is outside 0...23"),
            "\(outcome.stderr)")
  }

  @Test func sigtermEndsTheDaemonWithStatusZero() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let (config, _) = try Self.setUp(entries: Self.entry("wire", cron: "0 0 1 1 *"))
    let daemon = try ScheduleDaemon(Self.arguments(server, config: config))
    defer { daemon.stop() }
    // Its first pass (the entry has never run) done, it sleeps until the next minute.
    try await ConditionPoller.waitFor("the daemon's first pass", timeout: .seconds(120)) {
      daemon.stderr.contains("wire: 4 new article(s)")
    }
    kill(daemon.process.processIdentifier, SIGTERM)
    try await ConditionPoller.waitFor("the daemon to exit", timeout: .seconds(30)) { daemon.exited.current }
    let stderr = daemon.stderr
    #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0, "\(stderr)")
    #expect(stderr.contains("scheduler stopped"), "\(stderr)")
  }

  /// SIGTERM in the middle of a pass: the daemon stops between two articles and exits 0;
  /// the entry stays due and the next run queues exactly the rest.
  @Test func aPassStoppedHalfwayIsFinishedByTheNextRunWithNothingTwice() async throws {
    _ = try TestPaths.requireSmolLM2()
    let server = try RedisServerProcess()
    let (config, news) = try Self.setUp(entries: Self.entry("wire", cron: "0 0 1 1 *"))
    for name in ["news-2026-11-27.jsonl", "news-2026-11-27.rss"] {
      try FileManager.default.removeItem(at: news.appendingPathComponent(name))
    }
    let articles = 1500
    let lines = (1...articles).map { number in
      JSONWriter.string(["title": .string("Wire story \(number)"), "url": .string("https://news.example/wire/\(number)"),
                         "body": .string("Story \(number): Tessaly's grain exports and the port's backlog.")])
    }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: news.appendingPathComponent("wire.jsonl"))
    let daemon = try ScheduleDaemon(Self.arguments(server, config: config))
    defer { daemon.stop() }
    let watcher = try RedisConnection(url: server.url)
    let pid = daemon.process.processIdentifier
    // Stopped as soon as its first articles are marked seen.
    try await ConditionPoller.waitFor("the pass under way", timeout: .seconds(120)) {
      (try watcher.command("ZCARD", "nd:{t}:schedule:wire:seen").int ?? 0) > 0
    } then: {
      kill(pid, SIGTERM)
    }
    try await ConditionPoller.waitFor("the daemon to exit", timeout: .seconds(60)) { daemon.exited.current }
    let stderr = daemon.stderr
    #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0, "\(stderr)")
    #expect(stderr.contains("stopped early"), "\(stderr)")
    let first = Int(try watcher.command("ZCARD", "nd:{t}:schedule:wire:seen").int ?? 0) / 2
    #expect(first > 0 && first < articles, "\(first) articles in the stopped pass")

    // Never run to its end, the entry is still due: the next run queues the rest, nothing twice.
    let rest = try await Self.once(server, config: config)
    #expect(rest["wire"]?["due"] == true && rest["wire"]?["queued_articles"]?.intValue == articles - first
      && rest["wire"]?["seen_articles"]?.intValue == first, "\(rest)")
    let batches = try watcher.command("ZRANGE", "nd:{t}:batches", 0, -1).array?.compactMap(\.string) ?? []
    var total = 0
    for batch in batches { total += try await Self.jobCount(server, batch: batch)?.intValue ?? 0 }
    #expect(total == 2 * articles)
  }
}
