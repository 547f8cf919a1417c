import NightdeskRedis
import Testing

@Suite("Redis URLs")
struct RedisURLTests {
  @Test func parsesTCPWithCredentialsAndDatabase() throws {
    let url = try RedisURL(parsing: "redis://alice:s%40cret@db.internal:6380/2")
    #expect(url.endpoint == .tcp(host: "db.internal", port: 6380))
    #expect(url.username == "alice")
    #expect(url.password == "s@cret")
    #expect(url.database == 2)
  }

  @Test func defaultsPortAndDatabaseAndTakesPasswordOnly() throws {
    let url = try RedisURL(parsing: "redis://:secret@localhost")
    #expect(url.endpoint == .tcp(host: "localhost", port: 6379))
    #expect(url.username == nil)
    #expect(url.password == "secret")
    #expect(url.database == 0)
  }

  @Test func userWithoutPasswordWaitsForTheEnvironment() throws {
    let url = try RedisURL(parsing: "redis://desk@db.internal:6379/0")
    #expect(url.username == "desk")
    #expect(url.password == nil)
    let withPassword = try RedisTarget.resolve(url: url.description, stateDirectory: nil,
                                               environment: ["NIGHTDESK_REDIS_PASSWORD": "pw"])
    #expect(withPassword == .external(RedisURL(endpoint: .tcp(host: "db.internal", port: 6379), username: "desk", password: "pw"),
                                      source: "--redis"))
  }

  @Test func parsesIPv6AndUnixSockets() throws {
    #expect(try RedisURL(parsing: "redis://[::1]:7000/1").endpoint == .tcp(host: "::1", port: 7000))
    let unix = try RedisURL(parsing: "unix:///var/run/redis/redis.sock?db=3&password=pw")
    #expect(unix.endpoint == .unix(path: "/var/run/redis/redis.sock"))
    #expect(unix.database == 3)
    #expect(unix.password == "pw")
  }

  @Test func descriptionNeverShowsThePassword() throws {
    let tcp = try RedisURL(parsing: "redis://alice:hunter2@h:1/0")
    #expect(tcp.description == "redis://alice:***@h:1/0")
    let unix = try RedisURL(parsing: "unix:///s.sock?password=hunter2")
    #expect(!unix.description.contains("hunter2"))
    #expect(!RedisURL.redact("redis://u:hunter2@h:notaport").contains("hunter2"))
  }

  /// Each malformed URL must be refused with a message naming the wrong part.
  @Test(arguments: [
    ("http://localhost:6379", "scheme 'http'"),
    ("localhost:6379", "scheme"),
    ("rediss://localhost:6379", "TLS"),
    ("redis://:6379/0", "host"),
    ("redis://localhost:abc/0", "port 'abc'"),
    ("redis://localhost:70000/0", "port '70000'"),
    ("redis://localhost:6379/x", "db (path) 'x'"),
    ("redis://localhost:6379/-1", "db (path) '-1'"),
    ("redis://alice:pw@localhost:1:2", "host 'localhost:1:2'"),
    ("redis://local host:1", "host 'local host'"),
    ("unix://", "path"),
    ("unix://relative/redis.sock", "path 'relative/redis.sock'"),
    ("unix:///tmp/redis.sock?db=two", "db 'two'"),
    ("unix:///tmp/redis.sock?colour=red", "query parameter 'colour'"),
  ])
  func malformedURLNamesTheWrongPart(text: String, part: String) {
    do {
      let url = try RedisURL(parsing: text)
      Issue.record("'\(text)' parsed as \(url)")
    } catch {
      #expect(error.kind == .invalidURL)
      #expect(error.message.contains(part), "\(error.message)")
    }
  }

  @Test func malformedURLErrorHidesThePassword() {
    #expect(throws: RedisError.self) { try RedisURL(parsing: "redis://u:hunter2@h:bad/0") }
    do { _ = try RedisURL(parsing: "redis://u:hunter2@h:bad/0") } catch {
      #expect(!error.description.contains("hunter2"))
      #expect(error.message.contains("port 'bad'"))
    }
  }

  /// A base64 password holds '/' and '?': it parses, and no message ever shows it.
  @Test func aPasswordWithSlashesParsesAndStaysHidden() throws {
    let url = try RedisURL(parsing: "redis://:ab/cd?ef@db:6379/3")
    #expect(url.password == "ab/cd?ef" && url.endpoint == .tcp(host: "db", port: 6379) && url.database == 3)
    do { _ = try RedisURL(parsing: "redis://:ab/cd@h:bad/0") } catch {
      #expect(!error.description.contains("ab/cd"), "\(error.description)")
      #expect(error.message.contains("port 'bad'"))
    }
    #expect(!RedisURL.redact("redis://:ab/cd@db:6379/0").contains("ab/cd"))
  }
}
