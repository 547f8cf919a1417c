import NightdeskQueue

/// The API's own keys, under the queue's prefix (so a Redis Cluster keeps them in the
/// queue's slot, and scripts could reach them):
///
/// | key | type | holds |
/// | --- | --- | --- |
/// | `api:file:<id>` | hash | `desk`, `filename`, `purpose`, `bytes`, `created_at`, `content` |
/// | `api:files:<desk>` | sorted set | a desk's file ids by creation time (s) |
/// | `api:batch:<id>` | hash | an OpenAI batch object's fields (see `BatchRecord`) |
/// | `api:batches:<desk>` | sorted set | a desk's batch ids by creation time (ms) |
/// | `api:batch:<id>:finalizing` | string, short TTL | held by the one server writing the batch's output files |
struct APIRedisKeys: Sendable {
  let queue: QueueKeys

  func file(_ id: String) -> String { queue.prefix + "api:file:" + id }
  func files(desk: String) -> String { queue.prefix + "api:files:" + desk }
  func batch(_ id: String) -> String { queue.prefix + "api:batch:" + id }
  func batches(desk: String) -> String { queue.prefix + "api:batches:" + desk }
  func finalizing(_ id: String) -> String { queue.prefix + "api:batch:" + id + ":finalizing" }
}
