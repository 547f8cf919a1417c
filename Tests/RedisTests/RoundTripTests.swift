import NightdeskSupport
import Foundation
import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Commands and replies against a real redis-server")
struct RoundTripTests {
  @Test func binaryValueWithNULBytesRoundTrips() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    let value: [UInt8] = [0, 1, 0, 255, 0x0D, 0x0A, 0, 0x24, 0x2A] + Array("tail\0".utf8)
    let key: [UInt8] = Array("key\0with\0nul".utf8)
    #expect(try redis.command("SET", key, value) == .status("OK"))
    #expect(try redis.command("GET", key) == .bulk(value))
    #expect(try redis.command("STRLEN", key) == .integer(Int64(value.count)))
    // The key is binary too: the part before the first NUL is a different key.
    #expect(try redis.command("EXISTS", "key") == .integer(0))
    try redis.command("SET", "data", Data(value))
    #expect(try redis.command("GET", "data").bytes == value)
  }

  @Test func tenMegabyteValueRoundTrips() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    var generator = SplitMix64(seed: 42)
    let value = (0..<10 * 1024 * 1024).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    try redis.command("SET", "big", value)
    let reply = try redis.command("GET", "big")
    #expect(reply.bytes?.count == value.count)
    #expect(reply.bytes == value)
    #expect(try redis.command("STRLEN", "big").int == Int64(value.count))
  }

  @Test func replyKindsAreConverted() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    #expect(try redis.ping() == "PONG")
    #expect(try redis.command("INCRBY", "n", 41) == .integer(41))
    #expect(try redis.command("GET", "missing") == .null)
    try redis.command("RPUSH", "list", "a", "", "c")
    #expect(try redis.command("LRANGE", "list", 0, -1) == .array([.bulk(Array("a".utf8)), .bulk([]), .bulk(Array("c".utf8))]))
    #expect(try redis.command("GET", "n").int == 41)
    #expect(try !redis.serverVersion().isEmpty)
  }

  @Test func errorReplyThrowsServerErrorNamingTheCommand() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    try redis.command("SET", "s", "text")
    do {
      try redis.command("LPUSH", "s", "x")
      Issue.record("LPUSH on a string succeeded")
    } catch {
      #expect(error.kind == .serverError)
      #expect(error.command == "LPUSH")
      #expect(error.serverErrorCode == "WRONGTYPE")
    }
    // An error reply leaves the connection usable.
    #expect(redis.isConnected)
    #expect(try redis.command("GET", "s").string == "text")
  }

  @Test func selectsTheDatabaseFromTheURL() throws {
    let server = try RedisServerProcess()
    let db3 = try RedisConnection(url: .unixSocket(server.socketPath, database: 3))
    try db3.command("SET", "where", "three")
    let db0 = try RedisConnection(url: server.url)
    #expect(try db0.command("GET", "where") == .null)
    #expect(try db0.command("SELECT", 3) == .status("OK"))
    #expect(try db0.command("GET", "where").string == "three")
  }

  @Test func connectsOverTCP() throws {
    let server = try RedisServerProcess(.init(tcp: true))
    let url = try #require(server.tcpURL)
    let redis = try RedisConnection(url: try RedisURL(parsing: url.description))
    #expect(try redis.ping() == "PONG")
  }

  @Test func connectingToNothingFailsClearly() throws {
    do {
      _ = try RedisConnection(url: .unixSocket("/tmp/no-such-nightdesk.sock"))
      Issue.record("connected to a missing socket")
    } catch {
      #expect(error.kind == .connectionFailed)
      #expect(error.description.contains("/tmp/no-such-nightdesk.sock"))
    }
  }
}
