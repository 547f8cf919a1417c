import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Pipelining")
struct PipelineTests {
  @Test func tenThousandCommandsInOneRoundTrip() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    let count = 10_000
    let sets = (0..<count).map { RedisCommand("SET", "k\($0)", "v\($0)") }
    let replies = try redis.pipeline(sets)
    #expect(replies.count == count)
    #expect(replies.allSatisfy { $0 == .status("OK") })
    let gets = try redis.pipeline((0..<count).map { RedisCommand("GET", "k\($0)") })
    #expect(gets.enumerated().allSatisfy { index, reply in reply.string == "v\(index)" })
    #expect(try redis.command("DBSIZE") == .integer(Int64(count)))
  }

  @Test func errorRepliesStayInTheirSlots() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    let replies = try redis.pipeline([
      RedisCommand("SET", "s", "x"),
      RedisCommand("LPUSH", "s", "y"),
      RedisCommand("GET", "s"),
    ])
    #expect(replies[0] == .status("OK"))
    #expect(replies[1].errorMessage?.hasPrefix("WRONGTYPE") == true)
    #expect(replies[2].string == "x")
  }
}
