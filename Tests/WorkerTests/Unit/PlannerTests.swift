import NightdeskRequests
import NightdeskQueue
@testable import NightdeskWorker
import Testing

/// The pure pieces: backoff, the held-job order (prefix affinity), prefix hashes.
@Suite struct PlannerTests {
  @Test func backoffDoublesIsCappedAndJittered() {
    let backoff = Backoff(base: .seconds(2), maximum: .seconds(60))
    #expect(backoff.delay(afterAttempt: 1, randomFraction: 1) == .seconds(2))
    #expect(backoff.delay(afterAttempt: 3, randomFraction: 1) == .seconds(8))
    #expect(backoff.delay(afterAttempt: 3, randomFraction: 0) == .seconds(4))
    #expect(backoff.delay(afterAttempt: 30, randomFraction: 1) == .seconds(60))
    #expect(backoff.milliseconds(afterAttempt: 2, randomFraction: 0.5) == 3000)
  }

  func job(_ id: String, prefix: String, priority: Priority = .normal) -> ClaimedJob {
    ClaimedJob(
      lease: Lease(job: id, batch: "b", priority: priority, entry: "0-1", token: 1, attempt: 1),
      spec: JobSpec(requests: [ChatRequest(messages: [.user(id)])], priority: priority), prefixHash: prefix)
  }

  @Test func heldJobsRunSamePrefixBackToBackAndPriorityFirst() {
    var backlog = LocalBacklog()
    backlog.add([job("a1", prefix: "A"), job("b1", prefix: "B"), job("a2", prefix: "A"), job("b2", prefix: "B"),
                 job("h", prefix: "B", priority: .high)])
    var warm = WarmPrefixes()
    var order: [String] = []
    while let next = backlog.next(warm: warm.recent) {
      order.append(next.lease.job)
      warm.touch(next.prefixHash)
    }
    #expect(order == ["h", "b1", "b2", "a1", "a2"])
  }

  @Test func prefixHashNamesTheSharedMessages() {
    let doc = ChatMessage.system("You are an analyst.\n\nDocument: ...")
    let a = [ChatRequest(messages: [doc, .user("Q1")]), ChatRequest(messages: [doc, .user("Q2")])]
    #expect(PrefixHash.sharedPrefix(of: a) == [doc])
    #expect(PrefixHash.of([doc]) == PrefixHash.of(PrefixHash.sharedPrefix(of: a)))
    #expect(PrefixHash.of([doc]) != PrefixHash.of([.system("You are an analyst.\n\nDocument: ..!")]))
    // Moving text between messages changes the hash.
    #expect(PrefixHash.of([.system("ab"), .user("c")]) != PrefixHash.of([.system("a"), .user("bc")]))
    #expect(PrefixHash.sharedPrefix(of: [ChatRequest(messages: [.user("only")])]).isEmpty)
  }
}
