import Foundation
import NightdeskRedis
import Testing

@Suite("Choosing the Redis: --redis, NIGHTDESK_REDIS_URL, embedded")
struct RedisTargetTests {
  @Test func flagWinsOverEnvironmentWhichWinsOverEmbedded() throws {
    let environment = ["NIGHTDESK_REDIS_URL": "redis://from-env:1/0"]
    #expect(try RedisTarget.resolve(url: "redis://from-flag:2/0", stateDirectory: nil, environment: environment)
      == .external(RedisURL(endpoint: .tcp(host: "from-flag", port: 2)), source: "--redis"))
    #expect(try RedisTarget.resolve(url: nil, stateDirectory: nil, environment: environment)
      == .external(RedisURL(endpoint: .tcp(host: "from-env", port: 1)), source: "NIGHTDESK_REDIS_URL"))
    let embedded = try RedisTarget.resolve(url: nil, stateDirectory: "/srv/nd", environment: [:])
    #expect(embedded == .embedded(EmbeddedRedis(stateDirectory: "/srv/nd")))
    #expect(embedded.description.contains("/srv/nd/redis.sock"))
  }

  @Test func defaultStateFolderIsDotNightdeskInTheCurrentDirectory() throws {
    guard case .embedded(let embedded) = try RedisTarget.resolve(url: nil, stateDirectory: nil, environment: [:]) else {
      Issue.record("expected the embedded target")
      return
    }
    #expect(embedded.stateDirectory == FileManager.default.currentDirectoryPath + "/.nightdesk")
  }

  @Test func passwordComesFromEnvironmentOrFileWhenTheURLHasNone() throws {
    let fromVariable = try RedisTarget.resolve(url: "redis://h:1/0", stateDirectory: nil,
                                               environment: ["NIGHTDESK_REDIS_PASSWORD": "pw1"])
    #expect(fromVariable == .external(RedisURL(endpoint: .tcp(host: "h", port: 1), password: "pw1"), source: "--redis"))
    #expect(!fromVariable.description.contains("pw1"))

    let file = FileManager.default.temporaryDirectory.appendingPathComponent("nd-pw-\(UUID().uuidString.prefix(8))")
    try "pw2\n".write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let fromFile = try RedisTarget.resolve(url: "redis://h:1/0", stateDirectory: nil,
                                           environment: ["NIGHTDESK_REDIS_PASSWORD_FILE": file.path])
    #expect(fromFile == .external(RedisURL(endpoint: .tcp(host: "h", port: 1), password: "pw2"), source: "--redis"))

    // The URL's own password wins.
    let own = try RedisTarget.resolve(url: "redis://:mine@h:1/0", stateDirectory: nil,
                                      environment: ["NIGHTDESK_REDIS_PASSWORD": "pw1"])
    #expect(own == .external(RedisURL(endpoint: .tcp(host: "h", port: 1), password: "mine"), source: "--redis"))

    #expect(throws: RedisError.self) {
      try RedisTarget.resolve(url: "redis://h:1/0", stateDirectory: nil,
                              environment: ["NIGHTDESK_REDIS_PASSWORD_FILE": "/nonexistent/pw"])
    }
  }

  @Test func badURLNamesWhereItCameFrom() {
    do {
      _ = try RedisTarget.resolve(url: nil, stateDirectory: nil, environment: ["NIGHTDESK_REDIS_URL": "redis://h:x/0"])
      Issue.record("a bad NIGHTDESK_REDIS_URL was accepted")
    } catch {
      #expect(error.kind == .invalidURL)
      #expect(error.message.hasPrefix("NIGHTDESK_REDIS_URL: "))
      #expect(error.message.contains("port 'x'"))
    }
  }
}
