/// Every key of one queue, under one prefix with a hash tag (`nd:{main}:`), so a
/// Redis Cluster keeps the whole queue in one slot and the Lua scripts may touch
/// any of its keys.
///
/// | key | type | holds |
/// | --- | --- | --- |
/// | `q:high`, `q:normal`, `q:low` | stream, group `workers` | one entry per queued or running job; the pending list is what is in flight |
/// | `q:affinity` | stream, group `workers` | jobs a worker pulled ahead because it holds their prefix (delivered at once) |
/// | `pfx:<hash>` | sorted set | queued jobs by prefix hash, for affinity claims |
/// | `job:<id>` | hash | state, spec, attempt, fencing token, progress, error |
/// | `result:<id>` | string (JSON) | the result, written once |
/// | `live:<id>` | stream, capped, short TTL | a streamed job's text as it is generated (`LiveDelta`) |
/// | `batch:<id>` | hash | counters per state, token totals |
/// | `batch:<id>:jobs` | list | the batch's job ids in submission order |
/// | `batches` | sorted set | batch ids by creation time |
/// | `group:<g>` | hash | a document's map-reduce group: `expected` chunk jobs, its `synthesis` job |
/// | `group:<g>:jobs` | list | the group's chunk jobs in chunk order |
/// | `group:<g>:done` | set | its chunk jobs that have finished (once each, however often they finish) |
/// | `idem:<key>` | string | the job an idempotency key made |
/// | `submission:<key>` | string | `<batch> <fingerprint>` of a keyed submission (`submit(_:toBatch:submissionKey:)`) |
/// | `reclaim:<lane>` | string | where the last reclaim's scan of the lane's pending entries stopped |
/// | `delayed` | sorted set | jobs waiting out a retry backoff, by due time (ms) |
/// | `dead` | stream | dead-lettered jobs and their last error |
/// | `events` | stream | every state change, for watchers |
/// | `completions:url`, `completions:command` | list | finished batches whose `--on-complete` is still to be sent |
/// | `workers` | sorted set | worker ids by last heartbeat (ms) |
/// | `worker:<id>` | hash, short TTL | what a live worker runs |
/// | `affinity:<id>` | set, short TTL | prefix hashes a worker holds in its KV cache |
/// | `limits` | hash | the desk's limits, checked at submit (`DeskLimits`) |
/// | `counts` | string (JSON), TTL | jobs by state over the whole queue, kept a few seconds so that every worker's gauges share one count (`sharedJobCounts`) |
/// | `models` | hash | model digest → the model a worker serves (`ModelRegistration` JSON: context length, tokenizer digest, path) |
/// | `schedule:<entry>` | hash | a schedule entry's `last_run` (ms), `last_batch`, `last_queued` (`nightdesk schedule`) |
/// | `schedule:<entry>:seen` | sorted set | `url:<digest>`, `content:<digest>` of the articles it queued, by time (ms) |
public struct QueueKeys: Sendable, Equatable {
  public let namespace: String
  /// `nd:{<namespace>}:`
  public let prefix: String

  public static let group = "workers"
  public static let defaultNamespace = "main"

  public init(namespace: String = Self.defaultNamespace) throws(QueueError) {
    guard !namespace.isEmpty, namespace.utf8.count <= 64,
      namespace.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
    else {
      throw QueueError(.invalidArgument,
        "queue name '\(namespace)' must be 1...64 ASCII letters, digits, '-', '_' or '.'")
    }
    self.namespace = namespace
    prefix = "nd:{\(namespace)}:"
  }

  public func stream(_ priority: Priority) -> String { prefix + "q:" + priority.rawValue }
  public func job(_ id: String) -> String { prefix + "job:" + id }
  public func result(_ id: String) -> String { prefix + "result:" + id }
  public func live(_ id: String) -> String { prefix + "live:" + id }
  public func batch(_ id: String) -> String { prefix + "batch:" + id }
  public func batchJobs(_ id: String) -> String { prefix + "batch:" + id + ":jobs" }
  public var batches: String { prefix + "batches" }
  public func group(_ id: String) -> String { prefix + "group:" + id }
  public func groupJobs(_ id: String) -> String { prefix + "group:" + id + ":jobs" }
  public func submission(_ key: String) -> String { prefix + "submission:" + key }
  public var delayed: String { prefix + "delayed" }
  public var dead: String { prefix + "dead" }
  public var events: String { prefix + "events" }
  public func completions(_ kind: BatchCompletionTarget.Kind) -> String { prefix + "completions:" + kind.rawValue }
  public var workers: String { prefix + "workers" }
  public func worker(_ id: String) -> String { prefix + "worker:" + id }
  public func affinity(_ worker: String) -> String { prefix + "affinity:" + worker }
  public var models: String { prefix + "models" }
  public var counts: String { prefix + "counts" }
  public func schedule(_ entry: String) -> String { prefix + "schedule:" + entry }
  public func scheduleSeen(_ entry: String) -> String { prefix + "schedule:" + entry + ":seen" }
}
