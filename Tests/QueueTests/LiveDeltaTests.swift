import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRequests
import NightdeskSupport
import Testing

/// A streamed job keeps its flag through Redis, and its live text reads back in order,
/// with its attempt, on a real redis-server.
struct LiveDeltaTests {
  @Test func aStreamedJobKeepsItsFlagAndHasOneRequest() throws {
    var spec = chatJob("What was revenue?")
    spec.stream = true
    #expect(try JobSpec(json: spec.json).stream)
    #expect(try JobSpec(json: chatJob("Q").json).stream == false)
    spec.requests.append(spec.requests[0])
    #expect(throws: RequestError.self) { try JobSpec(json: spec.json) }
  }

  @Test func deltasReadBackInOrderAfterACursor() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    #expect(try queue.liveDeltas(of: "j1", after: "0-0", timeout: nil).isEmpty)
    try queue.publishLive([("j1", LiveDelta(attempt: 1, token: 4, model: "m", text: "Hel")),
                           ("j2", LiveDelta(attempt: 1, token: 5, model: "m", text: "other job"))])
    try queue.publishLive([("j1", LiveDelta(attempt: 1, token: 4, model: "m", text: "lo 巴黎", isEnd: true))])
    let all = try queue.liveDeltas(of: "j1", after: "0-0", timeout: .milliseconds(10))
    #expect(all.map(\.text) == ["Hel", "lo 巴黎"])
    #expect(all.map(\.isEnd) == [false, true] && all.allSatisfy { $0.attempt == 1 && $0.token == 4 })
    #expect(try queue.liveDeltas(of: "j1", after: all[0].id, timeout: nil).map(\.text) == ["lo 巴黎"])
    let ttl = try queue.redis.command("TTL", queue.keys.live("j1")).int ?? -1
    #expect(ttl > 0 && ttl <= QueueClient.liveTTLSeconds)
  }
}
