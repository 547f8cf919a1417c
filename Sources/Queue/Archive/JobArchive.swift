/// Somewhere finished jobs are kept after Redis lets them go (`NightdeskArchive`'s SQLite
/// file). The worker hands it the jobs whose outcomes it has just stored; the archive
/// copies them as `queue` now holds them, and their batches' summaries.
///
/// Copies are keyed by job id (and, for results, written once): a job handed over twice
/// (a retried write, a reclaimed job stored by its second worker) is kept once.
public protocol JobArchive: Sendable {
  /// Copies the finished ones of `jobs` (unfinished ones are left for a later call) and the
  /// summaries of their batches; a batch that has just finished is copied whole, so jobs
  /// no worker finished (cancelled ones) are kept too. Runs on the caller's thread.
  func archive(jobs: [String], from queue: QueueClient) throws
}
