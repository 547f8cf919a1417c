import Foundation
import NightdeskRequests
import NightdeskQueue
import NightdeskRedis
import NightdeskTestSupport

/// A private redis-server and a queue client on it, for one test.
public final class QueueFixture {
  public let server: RedisServerProcess
  public let keys: QueueKeys

  public init(appendOnly: Bool = false, extraConfig: [String] = []) throws {
    server = try RedisServerProcess(.init(appendOnly: appendOnly, extraConfig: extraConfig))
    keys = try QueueKeys(namespace: "t")
  }

  public func client(retentionSeconds: Int = QueueClient.defaultRetentionSeconds) throws -> QueueClient {
    QueueClient(redis: try RedisConnection(url: server.url), keys: keys, retentionSeconds: retentionSeconds)
  }
}

/// A one-request chat job about `document`.
public func chatJob(_ question: String, document: String = "The quarterly report.", maxAttempts: Int = 3,
             priority: Priority = .normal, key: String? = nil, customID: String? = nil) -> JobSpec {
  JobSpec(
    requests: [ChatRequest(customID: customID, messages: [.system("You are an analyst."), .user(document + "\n" + question)],
                           sampling: .greedy)],
    priority: priority, desk: "macro", idempotencyKey: key, maxAttempts: maxAttempts)
}

/// A successful result for every request of `job`.
public func result(for job: ClaimedJob, worker: String, text: String = "answer") -> JobResult {
  JobResult(
    job: job.lease.job, batch: job.lease.batch, attempt: job.lease.attempt, worker: worker,
    executor: ExecutorIdentity(model: "test", modelDigest: "d", templateDigest: "t"), startedAt: 0, finishedAt: 1,
    requests: job.spec.requests.map {
      RequestResult(customID: $0.customID, text: text, finishReason: "stop", promptTokens: 10, reusedTokens: 0,
                    generatedTokens: 3, sampling: $0.sampling)
    })
}
