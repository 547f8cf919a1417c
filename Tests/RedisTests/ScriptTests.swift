import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Lua scripts")
struct ScriptTests {
  static let claim = RedisScript("""
    local value = redis.call('GET', KEYS[1])
    if not value then redis.call('SET', KEYS[1], ARGV[1]); return 1 end
    return 0
    """)

  @Test func sha1MatchesWhatRedisComputes() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    for source in ["return 1", "", String(repeating: "-- padding\n", count: 20) + "return 'x'", Self.claim.source] {
      let script = RedisScript(source)
      #expect(try redis.command("SCRIPT", "LOAD", source).string == script.sha1)
    }
    #expect(RedisScript("abc").sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")  // FIPS 180 test vector
  }

  @Test func evalshaFallsBackToLoadingTheScript() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    #expect(try redis.command("SCRIPT", "EXISTS", Self.claim.sha1) == .array([.integer(0)]))
    #expect(try redis.evaluate(Self.claim, keys: ["lock"], arguments: ["me"]) == .integer(1))
    #expect(try redis.command("SCRIPT", "EXISTS", Self.claim.sha1) == .array([.integer(1)]))
    #expect(try redis.evaluate(Self.claim, keys: ["lock"], arguments: ["you"]) == .integer(0))
    try redis.command("SCRIPT", "FLUSH")
    #expect(try redis.evaluate(Self.claim, keys: ["other"], arguments: ["me"]) == .integer(1))
    #expect(try redis.command("GET", "other").string == "me")
  }

  @Test func luaErrorThrowsServerError() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    do {
      try redis.evaluate(RedisScript("return redis.call('NOSUCHCOMMAND')"))
      Issue.record("a failing script succeeded")
    } catch {
      #expect(error.kind == .serverError)
      #expect(error.command == "EVALSHA")
    }
  }
}
