import NightdeskSupport

/// Jobs read from a submission file, and the entries that were refused. One bad
/// entry never stops the others: it is reported with its line (or entry) number.
public struct SubmissionInput: Sendable, Equatable {
  public struct Rejection: Sendable, Equatable {
    /// 1-based line of a JSONL file, or entry of a manifest's `jobs` list.
    public var line: Int
    public var error: String

    public init(line: Int, error: String) {
      self.line = line
      self.error = error
    }
  }

  public var jobs: [JobSpec]
  public var rejected: [Rejection]

  public init(jobs: [JobSpec] = [], rejected: [Rejection] = []) {
    self.jobs = jobs
    self.rejected = rejected
  }

  public var requestCount: Int { jobs.reduce(0) { $0 + $1.requests.count } }
}

/// Bounds on what a submission may hold, so a malformed or hostile file costs a
/// clear error, not the submitter's memory or the queue's.
public enum SubmissionLimits {
  /// The whole file (OpenAI's own batch limit is 200 MB).
  public static let maxFileBytes = 200 << 20
  /// Requests per file (OpenAI's limit).
  public static let maxLines = 50_000
  /// One line, or one manifest entry.
  public static let maxLineBytes = 8 << 20
  /// Requests that share a prefix are grouped into jobs of at most this many.
  public static let maxRequestsPerJob = 32

  /// Checks the file size before reading it.
  public static func checkFileSize(_ bytes: Int, path: String) throws(QueueError) {
    guard bytes <= maxFileBytes else {
      throw QueueError(.invalidArgument,
        "\(path) is \(ByteCount.format(bytes)); a submission file may hold at most \(ByteCount.format(maxFileBytes)) "
          + "(split it into several batches)")
    }
  }
}
