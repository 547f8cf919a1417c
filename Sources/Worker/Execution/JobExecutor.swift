import NightdeskQueue
import NightdeskRequests

/// What runs a job's requests: the engine in production, a trivial echo for the
/// queue benchmark and the queue-layer tests. The worker owns claiming, leases,
/// retries and result storage; an executor only turns a job into results.
public protocol JobExecutor: Sendable {
  /// Recorded with every result (model, model digest, template digest).
  var identity: ExecutorIdentity { get }
  /// Requests the executor can run at once; the worker claims as this frees up.
  var capacity: Int { get }
  /// Runs all of `job`'s requests together (so their shared prefix is computed
  /// once) and returns one result per request, in order. Reports progress through
  /// `progress` as it goes (any rate; the worker throttles what it writes). Must
  /// stop promptly, freeing its resources, when the task is cancelled (the job was
  /// cancelled or its lease lost), by throwing `CancellationError`.
  func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void) async throws -> [RequestResult]
  /// The same, also handing `text` the answer's new text as it is generated (a streamed
  /// job: `JobSpec.stream`, one request). An executor that cannot stream leaves it
  /// unused; the reader then gets the stored answer whole.
  func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void,
               text: (@Sendable (String) -> Void)?) async throws -> [RequestResult]
  /// The context a request must fit and how the executor counts it; nil when it has no
  /// limit (the echo), so a synthesis is never staged for it.
  var contextLimit: ContextLimit? { get }
}

extension JobExecutor {
  public var contextLimit: ContextLimit? { nil }

  public func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void,
                      text: (@Sendable (String) -> Void)?) async throws -> [RequestResult] {
    try await execute(job, progress: progress)
  }
}

/// A failure the executor classifies: `permanent` when trying again cannot help
/// (the request is invalid for this model), so the job fails without retries.
public struct ExecutionFailure: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var permanent: Bool

  public init(_ message: String, permanent: Bool = false) {
    self.message = message
    self.permanent = permanent
  }

  public var description: String { message }
}
