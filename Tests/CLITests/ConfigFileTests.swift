import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

@testable import NightdeskCLI

/// `nightdesk.yaml`: what it may hold, its errors (file, line, column), and flag >
/// environment > file > default, through the real binary on real redis-servers.
@Suite struct ConfigFileTests {
  /// The flag, else the variable (empty is unset), else nothing; a bad variable is named.
  @Test func aFlagComesBeforeItsVariable() throws {
    let environment = ["NIGHTDESK_X": "7", "NIGHTDESK_EMPTY": "", "NIGHTDESK_BAD": "seven"]
    #expect(FlagOrEnvironment.text("flag", "NIGHTDESK_X", in: environment) == "flag")
    #expect(FlagOrEnvironment.text(nil, "NIGHTDESK_X", in: environment) == "7")
    #expect(FlagOrEnvironment.text(nil, "NIGHTDESK_EMPTY", in: environment) == nil)
    #expect(try FlagOrEnvironment.value(3, "NIGHTDESK_BAD", in: environment, expected: "a number") { Int($0) } == 3)
    #expect(try FlagOrEnvironment.value(nil, "NIGHTDESK_X", in: environment, expected: "a number") { Int($0) } == 7)
    #expect(try FlagOrEnvironment.value(nil, "NIGHTDESK_UNSET", in: environment, expected: "a number") { Int($0) } == nil)
    #expect(throws: (any Error).self) {
      try FlagOrEnvironment.value(nil, "NIGHTDESK_BAD", in: environment, expected: "a number") { Int($0) }
    }
    do {
      _ = try FlagOrEnvironment.value(nil, "NIGHTDESK_BAD", in: environment, expected: "a number") { Int($0) }
    } catch {
      #expect("\(error)".contains("NIGHTDESK_BAD='seven' is not a number"), "\(error)")
    }
  }

  @Test func settingsBecomeTheirEnvironmentVariables() throws {
    let file = try ConfigFile(text: """
      redis: redis://db:6379/0
      threads: 4
      log:
        format: json
      metrics:
        port: 9464
      """, file: "n.yaml")
    #expect(file.values == ["NIGHTDESK_REDIS_URL": "redis://db:6379/0", "NIGHTDESK_THREADS": "4",
                            "NIGHTDESK_LOG_FORMAT": "json", "NIGHTDESK_METRICS_PORT": "9464"])
  }

  @Test func anUnknownKeyIsNamedWithItsLine() {
    #expect {
      try ConfigFile(text: "queue: q\nredis_ur: redis://x\n", file: "nightdesk.yaml")
    } throws: { error in
      "\(error)".hasPrefix("nightdesk.yaml:2:1: unknown setting 'redis_ur'")
    }
    #expect {
      try ConfigFile(text: "log:\n  colour: red\n", file: "n.yaml")
    } throws: { "\($0)".hasPrefix("n.yaml:2:3: unknown setting 'log.colour'") }
  }

  @Test func aWrongTypeIsNamedWithItsLine() {
    #expect {
      try ConfigFile(text: "queue: q\nthreads: two\n", file: "n.yaml")
    } throws: { "\($0)" == "n.yaml:2:10: threads must be an integer in 1...64, found 'two'" }
    #expect {
      try ConfigFile(text: "metrics:\n  port: [1]\n", file: "n.yaml")
    } throws: { "\($0)".hasPrefix("n.yaml:2:9: metrics.port must be a single value") }
    #expect {
      try ConfigFile(text: "kv_memory: lots\n", file: "n.yaml")
    } throws: { "\($0)".hasPrefix("n.yaml:1:12: kv_memory:") }
  }

  @Test func configFlagIsTakenOutOfTheArguments() {
    #expect(ConfigFile.extractFlag(["worker", "--config", "a.yaml", "--echo"]) == (["worker", "--echo"], "a.yaml"))
    #expect(ConfigFile.extractFlag(["--config=b.yaml", "queue", "stats"]) == (["queue", "stats"], "b.yaml"))
    // schedule --config is its schedules file (a contract of its own): left to it.
    #expect(ConfigFile.extractFlag(["schedule", "--once", "--config", "s.yaml"]) == (["schedule", "--once", "--config", "s.yaml"], nil))
  }

  /// The queue stats of two servers tell which one a command reached: A holds one queued job, B none.
  @Test func flagBeatsEnvironmentBeatsFile() async throws {
    let a = try RedisServerProcess()
    let b = try RedisServerProcess()
    let folder = try TestPaths.temporaryDirectory("nd-config")
    let document = folder.appendingPathComponent("doc.txt")
    try Data("A report.".utf8).write(to: document)
    let submitted = try await NightdeskBinary.run(
      ["submit", "--document", document.path, "--question", "q", "--redis", "unix://\(a.socketPath)"])
    #expect(submitted.status == 0, "\(submitted.stderr)")
    let config = folder.appendingPathComponent("nightdesk.yaml")
    try Data("redis: unix://\(a.socketPath)\n".utf8).write(to: config)
    func queued(_ arguments: [String], _ environment: [String: String]) async throws -> Int? {
      let outcome = try await NightdeskBinary.run(["queue", "stats", "--json"] + arguments,
                                                 environment: ["NIGHTDESK_REDIS_URL": ""].merging(environment) { $1 })
      #expect(outcome.status == 0, "\(outcome.stderr)")
      return try JSONParser.parse(Array(outcome.stdout.utf8))["jobs"]?["queued"]?.intValue
    }
    #expect(try await queued(["--config", config.path], [:]) == 1)
    #expect(try await queued([], ["NIGHTDESK_CONFIG": config.path]) == 1)
    #expect(try await queued(["--config", config.path], ["NIGHTDESK_REDIS_URL": "unix://\(b.socketPath)"]) == 0)
    #expect(try await queued(["--config", config.path, "--redis", "unix://\(a.socketPath)"],
                             ["NIGHTDESK_REDIS_URL": "unix://\(b.socketPath)"]) == 1)
  }

  @Test func aBadFileStopsTheCommandWithItsPlace() async throws {
    let folder = try TestPaths.temporaryDirectory("nd-config-bad")
    let config = folder.appendingPathComponent("nightdesk.yaml")
    try Data("queue: q\nthreads: many\n".utf8).write(to: config)
    let outcome = try await NightdeskBinary.run(["queue", "stats", "--config", config.path])
    #expect(outcome.status == 64)
    #expect(outcome.stderr.contains("\(config.path):2:10: threads must be an integer"), "\(outcome.stderr)")
  }
}
