import Foundation
import NightdeskRedis
import NightdeskTestSupport
import Testing

/// The path of `--redis URL` / `NIGHTDESK_REDIS_URL`: Ops/test exports
/// NIGHTDESK_TEST_REDIS_URL, a private server started outside the test process.
@Suite("External Redis URL")
struct ExternalURLTests {
  static let externalURL = ProcessInfo.processInfo.environment["NIGHTDESK_TEST_REDIS_URL"]

  @Test(.enabled(if: externalURL != nil, "Ops/test sets NIGHTDESK_TEST_REDIS_URL"))
  func pingsTheServerNamedByTheEnvironment() throws {
    let text = try #require(Self.externalURL)
    let target = try RedisTarget.resolve(url: nil, stateDirectory: nil, environment: ["NIGHTDESK_REDIS_URL": text])
    guard case .external = target else {
      Issue.record("NIGHTDESK_REDIS_URL did not select an external Redis: \(target)")
      return
    }
    let redis = try target.connect()
    #expect(try redis.ping() == "PONG")
    let key = "nightdesk-test:\(UUID().uuidString)"
    try redis.command("SET", key, [0, 1, 2] as [UInt8], "PX", 60_000)
    #expect(try redis.command("GET", key) == .bulk([0, 1, 2]))
    try redis.command("DEL", key)
  }
}
