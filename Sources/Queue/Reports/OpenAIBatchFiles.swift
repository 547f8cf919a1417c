import NightdeskSupport

/// A finished batch as the OpenAI Batch API hands it back: an output file with the
/// requests that were answered and a separate error file with those that were not,
/// and the counts of each.
public struct OpenAIBatchFiles: Sendable, Equatable {
  /// JSONL, one line per answered request (`response` set, `error` null).
  public var output: String
  /// JSONL, one line per request that failed, was cancelled or expired (`response` null).
  public var errors: String
  public var completed: Int
  public var failed: Int

  /// Splits the records' lines. Requests of jobs that never finished, and of jobs
  /// cancelled because the batch ran out of time, are errors with `unfinishedCode`
  /// (OpenAI's `batch_expired`) when it is given.
  public static func split(_ records: [JobRecord], unfinishedCode: String? = nil) -> OpenAIBatchFiles {
    var files = OpenAIBatchFiles(output: "", errors: "", completed: 0, failed: 0)
    for record in records {
      let lines: [JSONValue]
      if record.state.isFinished, !(unfinishedCode != nil && Self.endedUnanswered(record)) {
        lines = OpenAIBatchOutput.lines(record)
      } else {
        lines = unfinishedLines(record, code: unfinishedCode ?? "cancelled")
      }
      for line in lines {
        let text = JSONWriter.string(line) + "\n"
        if line["error"] == .null {
          files.output += text
          files.completed += 1
        } else {
          files.errors += text
          files.failed += 1
        }
      }
    }
    return files
  }

  /// Cancelled, or never started before its deadline (the claim script's error).
  public static func endedUnanswered(_ record: JobRecord) -> Bool {
    record.state == .cancelled || (record.state == .failed && record.error == deadlinePassed)
  }

  /// What the claim script writes on a job whose deadline passed before it could run.
  static let deadlinePassed = "the deadline passed before the job could run"

  static func unfinishedLines(_ record: JobRecord, code: String) -> [JSONValue] {
    (record.spec?.requests ?? []).enumerated().map { index, request in
      [
        "id": .string("batch_req_\(record.id)-\(index)"),
        "custom_id": request.customID.map { .string($0) } ?? .null,
        "response": .null,
        "error": [
          "code": .string(code),
          "message": .string("the batch's completion window ended before this request was answered"),
        ],
      ]
    }
  }
}
