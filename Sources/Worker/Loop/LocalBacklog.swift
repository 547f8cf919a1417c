import NightdeskQueue

/// Jobs a worker has claimed but not yet started, and the order it starts them in:
/// higher priority first; within a priority, a job whose prefix the executor holds
/// warm (running now, or just ran) before the oldest — so jobs sharing a document
/// run back to back and the engine's prefix cache serves them.
struct LocalBacklog {
  private(set) var jobs: [ClaimedJob] = []

  var isEmpty: Bool { jobs.isEmpty }
  var count: Int { jobs.count }

  mutating func add(_ claimed: [ClaimedJob]) { jobs += claimed }

  /// Removes and returns the job to start next. `warm` lists prefix hashes, most
  /// recently used first.
  mutating func next(warm: [String]) -> ClaimedJob? {
    guard let best = jobs.map(\.spec.priority).min() else { return nil }
    let candidates = jobs.indices.filter { jobs[$0].spec.priority == best }
    for prefix in warm where !prefix.isEmpty {
      if let index = candidates.first(where: { jobs[$0].prefixHash == prefix }) { return jobs.remove(at: index) }
    }
    // No warm prefix: the oldest. Starting it makes its prefix warm, so its mates follow.
    return jobs.remove(at: candidates[0])
  }

  mutating func removeAll() -> [ClaimedJob] {
    defer { jobs = [] }
    return jobs
  }

  /// Removes and returns the held attempt `attempt`, if it is held.
  mutating func remove(_ attempt: AttemptID) -> ClaimedJob? {
    guard let index = jobs.firstIndex(where: { $0.attemptID == attempt }) else { return nil }
    return jobs.remove(at: index)
  }

  /// The attempts held of `job` (at most one, unless a newer claim is being added).
  func attempts(of job: String) -> [AttemptID] { jobs.filter { $0.lease.job == job }.map(\.attemptID) }
}

/// The prefixes the executor has used most recently (its KV cache likely still
/// holds them), most recent first, bounded.
struct WarmPrefixes {
  private(set) var recent: [String] = []
  let limit: Int

  init(limit: Int = 16) { self.limit = limit }

  mutating func touch(_ prefix: String) {
    guard !prefix.isEmpty else { return }
    recent.removeAll { $0 == prefix }
    recent.insert(prefix, at: 0)
    if recent.count > limit { recent.removeLast(recent.count - limit) }
  }
}
