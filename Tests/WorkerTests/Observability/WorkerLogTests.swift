import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The worker's logs as a log collector reads them: the real binary, `--log-format json`,
/// on a real redis-server that wants a password.
@Suite struct WorkerLogTests {
  @Test func everyJSONLineCarriesTimeLevelWorkerAndItsJobAndNeverThePassword() async throws {
    let password = "pw-Zq81-never-logged"
    let server = try RedisServerProcess(.init(tcp: true, requirePassword: password))
    var url = try #require(server.tcpURL)
    url.password = password
    let queue = QueueClient(redis: try RedisConnection(url: url), keys: try QueueKeys(namespace: "t"))
    let receipt = try queue.submit((0..<3).map { chatJob("question \($0)") })
    let port = try #require(server.port)
    let outcome = try await NightdeskBinary.run([
      "worker", "--echo", "--drain", "--redis", "redis://:\(password)@127.0.0.1:\(port)/0", "--queue", "t",
      "--worker-id", "wlog", "--log-format", "json", "--log-level", "debug",
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(!outcome.stderr.contains(password) && !outcome.stdout.contains(password))
    let lines = outcome.stderr.split(separator: "\n")
    #expect(lines.count >= 5, "\(outcome.stderr)")
    var finished: [String: JSONValue] = [:]
    for line in lines {
      let entry = try JSONParser.parse(Array(line.utf8))
      let time = try #require(entry["time"]?.stringValue, "\(line)")
      #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(line)")
      #expect(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(entry["level"]?.stringValue ?? ""))
      #expect(entry["worker"]?.stringValue == "wlog", "\(line)")
      #expect(entry["message"]?.stringValue?.isEmpty == false)
      if entry["message"]?.stringValue == "job finished", let job = entry["job"]?.stringValue { finished[job] = entry }
    }
    // One finish line per job, with its batch, state, tokens, seconds and reused prefix.
    #expect(Set(finished.keys) == Set(receipt.jobs.map(\.id)))
    for entry in finished.values {
      #expect(entry["batch"]?.stringValue == receipt.batch)
      #expect(entry["state"]?.stringValue == "succeeded")
      #expect((entry["prompt_tokens"]?.intValue ?? 0) > 0)
      #expect(entry["generated_tokens"]?.intValue != nil && entry["reused_tokens"]?.intValue != nil)
      #expect((entry["seconds"]?.doubleValue ?? -1) >= 0)
    }
    // The start line names the Redis, redacted.
    #expect(outcome.stderr.contains("127.0.0.1:\(port)"))
  }

  @Test func textLinesStartWithTimeAndLevel() async throws {
    let fixture = try QueueFixture()
    _ = try fixture.client().submit([chatJob("one")])
    let outcome = try await NightdeskBinary.run([
      "worker", "--echo", "--drain", "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace,
      "--worker-id", "wtext",
    ], environment: ["NIGHTDESK_LOG_FORMAT": "text"])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let lines = outcome.stderr.split(separator: "\n")
    #expect(!lines.isEmpty)
    for line in lines {
      #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\S+Z (info|notice|warning|error) .*worker=wtext.*/) != nil, "\(line)")
    }
    #expect(lines.contains { $0.contains("job finished") && $0.contains("state=succeeded") }, "\(outcome.stderr)")
  }

  @Test func aBadLogLevelIsRefusedByName() async throws {
    let outcome = try await NightdeskBinary.run(["worker", "--echo", "--log-level", "loud"])
    #expect(outcome.status != 0)
    #expect(outcome.stderr.contains("loud"), "\(outcome.stderr)")
  }
}
