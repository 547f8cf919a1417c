import Logging
import NightdeskSupport

/// What one entry did in one pass (or that it was not due).
public struct PassReport: Sendable, Equatable {
  public var entry: String
  public var due: Bool
  /// The batch the pass's new jobs went into; nil when nothing new was queued.
  public var batch: String?
  /// Articles whose jobs were queued by this pass.
  public var queuedArticles = 0
  public var queuedJobs = 0
  /// Articles skipped as seen (by URL or content) in an earlier pass or earlier in this one.
  public var seenArticles = 0
  /// Articles whose jobs an earlier, interrupted pass had queued (found by their key):
  /// nothing was queued again, and they are now marked seen.
  public var alreadyQueued = 0
  /// Files or articles that could not be read or submitted, with the reason.
  public var errors: [String] = []
  /// A stop came during the pass: the rest of its articles wait for the next one.
  public var stopped = false

  public init(entry: String, due: Bool) {
    self.entry = entry
    self.due = due
  }

  public var json: JSONValue {
    .object(JSONObject([
      "entry": .string(entry), "due": .bool(due), "batch": batch.map { .string($0) } ?? .null,
      "queued_articles": .int(Int64(queuedArticles)), "queued_jobs": .int(Int64(queuedJobs)),
      "seen_articles": .int(Int64(seenArticles)), "already_queued": .int(Int64(alreadyQueued)),
      "errors": .array(errors.map { .string($0) }), "stopped": .bool(stopped),
    ]))
  }

  /// The ids and counts of the pass, for its log line.
  public var metadata: Logger.Metadata {
    var metadata: Logger.Metadata = ["entry": "\(entry)", "due": "\(due)"]
    guard due else { return metadata }
    if let batch { metadata["batch"] = "\(batch)" }
    metadata["queued_articles"] = .stringConvertible(queuedArticles)
    metadata["queued_jobs"] = .stringConvertible(queuedJobs)
    metadata["seen_articles"] = .stringConvertible(seenArticles)
    metadata["already_queued"] = .stringConvertible(alreadyQueued)
    metadata["errors"] = .stringConvertible(errors.count)
    if stopped { metadata["stopped"] = "true" }
    return metadata
  }

  /// One line for the log.
  public var summary: String {
    guard due else { return "\(entry): not due" }
    var text = "\(entry): \(queuedArticles) new article(s), \(queuedJobs) job(s)"
    if let batch { text += " in batch \(batch)" }
    text += "; \(seenArticles) seen before"
    if alreadyQueued > 0 { text += "; \(alreadyQueued) already queued by an interrupted pass" }
    if !errors.isEmpty { text += "; \(errors.count) error(s)" }
    if stopped { text += "; stopped early (the rest waits for the next pass)" }
    return text
  }
}
