import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Authentication")
struct AuthenticationTests {
  @Test func requirepassAcceptsRightPasswordAndRefusesWrongOne() throws {
    let server = try RedisServerProcess(.init(requirePassword: "right"))
    var url = server.url
    url.password = "right"
    #expect(try RedisConnection(url: url).ping() == "PONG")

    url.password = "wrong"
    do {
      _ = try RedisConnection(url: url)
      Issue.record("connected with a wrong password")
    } catch {
      #expect(error.kind == .authenticationFailed, "\(error)")
      #expect(error.command == "AUTH")
      #expect(!error.description.contains("wrong"), "the password leaked into \(error)")
    }
  }

  @Test func aclUserAcceptsRightPasswordAndRefusesWrongOne() throws {
    let server = try RedisServerProcess(.init(aclUsers: [(name: "desk", password: "s3cret")]))
    var url = server.url
    url.username = "desk"
    url.password = "s3cret"
    let redis = try RedisConnection(url: url)
    #expect(try redis.command("ACL", "WHOAMI").string == "desk")

    url.password = "nope"
    do {
      _ = try RedisConnection(url: url)
      Issue.record("connected as desk with a wrong password")
    } catch {
      #expect(error.kind == .authenticationFailed)
      #expect(error.message.contains("user 'desk'"))
      #expect(!error.description.contains("nope"))
    }
  }

  @Test func aclUserWithoutAnyPasswordIsRefusedBeforeConnecting() throws {
    let server = try RedisServerProcess(.init(aclUsers: [(name: "desk", password: "s3cret")]))
    var url = server.url
    url.username = "desk"
    #expect(throws: RedisError(.authenticationFailed, command: "AUTH",
                               message: "user 'desk' has no password: put it in the URL or in NIGHTDESK_REDIS_PASSWORD",
                               endpoint: url.description)) {
      try RedisConnection(url: url)
    }
  }

  @Test func missingPasswordIsReportedAsAuthenticationFailure() throws {
    let server = try RedisServerProcess(.init(requirePassword: "right"))
    let redis = try RedisConnection(url: server.url)
    do {
      try redis.command("GET", "x")
      Issue.record("GET without AUTH succeeded")
    } catch {
      #expect(error.kind == .authenticationFailed)
      #expect(error.message.contains("NIGHTDESK_REDIS_PASSWORD"))
    }
  }
}
