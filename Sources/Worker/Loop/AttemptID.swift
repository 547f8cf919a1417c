import NightdeskQueue

/// One claim of a job. A worker can hold two attempts of the same job (it reclaimed its
/// own expired entry, or a job cancelled in its backlog was retried and claimed again);
/// the fencing token tells them apart, so every piece of worker state is keyed by both.
struct AttemptID: Hashable, Sendable, CustomStringConvertible {
  let job: String
  let token: Int64

  var description: String { "\(job)#\(token)" }
}

extension Lease {
  var attemptID: AttemptID { AttemptID(job: job, token: token) }
}

extension ClaimedJob {
  var attemptID: AttemptID { lease.attemptID }
}
