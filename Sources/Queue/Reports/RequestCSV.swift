import NightdeskSupport

/// `results --format csv`: one row per request of every job, unfinished ones with their
/// state and empty answer cells, so a spreadsheet shows the whole batch.
enum RequestCSV {
  static let header = [
    "job", "batch", "custom_id", "state", "finish_reason", "prompt_tokens", "reused_tokens", "completion_tokens",
    "milliseconds", "text", "error",
  ]

  static func table(_ records: [JobRecord]) -> CSVTable {
    var table = CSVTable(header: header)
    for record in records {
      for (index, request) in (record.spec?.requests ?? []).enumerated() {
        let answer = record.result?.requests[safe: index]
        let error = answer?.error ?? (record.error.isEmpty ? nil : record.error)
        table.append([
          .plain(record.id), .plain(record.batch), request.customID.map(CSVTable.Cell.text) ?? .empty,
          .plain(record.state.rawValue), answer.map { .plain($0.finishReason) } ?? .empty,
          answer.map { .plain(String($0.promptTokens)) } ?? .empty,
          answer.map { .plain(String($0.reusedTokens)) } ?? .empty,
          answer.map { .plain(String($0.generatedTokens)) } ?? .empty,
          answer.map { .plain(String(Int(($0.totalSeconds * 1000).rounded()))) } ?? .empty,
          answer.map { .text($0.text) } ?? .empty,
          error.map(CSVTable.Cell.text) ?? .empty,
        ])
      }
    }
    return table
  }
}
