import NightdeskSupport

/// How `nightdesk results` writes jobs and their results.
public enum ResultFormat: String, Sendable, CaseIterable {
  /// One JSON array of jobs, each with its full result (reproduction data included).
  case json
  /// One line per request: job, custom_id, state, text, usage.
  case jsonl
  /// A readable report: each question and its answer.
  case markdown
  /// The OpenAI Batch API's output file: one line per request of a finished job.
  case openai
  /// One short line per request: its name, state and the start of its answer.
  case summary
  /// One CSV row per request (RFC 4180, with a header), for spreadsheets.
  case csv

  /// The formatted text. Unfinished jobs appear in `json`, `jsonl` and `markdown`
  /// with their state; `openai` holds finished jobs only (as OpenAI's output does).
  public func render(_ records: [JobRecord]) -> String {
    switch self {
    case .json: return JSONWriter.string(.array(records.map(Self.recordJSON))) + "\n"
    case .jsonl: return records.flatMap(Self.requestLines).map { JSONWriter.string($0) + "\n" }.joined()
    case .markdown: return MarkdownReport.render(records)
    case .openai: return records.flatMap(OpenAIBatchOutput.lines).map { JSONWriter.string($0) + "\n" }.joined()
    case .summary: return records.flatMap(Self.summaryLines).joined()
    case .csv: return RequestCSV.table(records).text
    }
  }

  static func recordJSON(_ record: JobRecord) -> JSONValue {
    var object = JSONObject()
    object["job"] = .string(record.id)
    object["batch"] = .string(record.batch)
    object["state"] = .string(record.state.rawValue)
    object["error"] = record.error.isEmpty ? .null : .string(record.error)
    object["result"] = record.result?.json ?? .null
    return .object(object)
  }

  static func summaryLines(_ record: JobRecord) -> [String] {
    (record.spec?.requests ?? []).enumerated().map { index, request in
      let name = request.customID ?? "\(record.id)#\(index + 1)"
      if let answer = record.result?.requests[safe: index] {
        if let error = answer.error {
          // An answer kept beside its error (a structured answer cut short) is shown too.
          let kept = answer.text.isEmpty ? "" : " — " + MarkdownReport.excerpt(answer.text.trimmingTrailingWhitespace, 80)
          return "\(name): [error] \(error)\(kept)\n"
        }
        return "\(name): " + MarkdownReport.excerpt(answer.text.trimmingTrailingWhitespace, 110) + "\n"
      }
      return "\(name): [\(record.state.rawValue)]" + (record.error.isEmpty ? "" : " \(record.error)") + "\n"
    }
  }

  static func requestLines(_ record: JobRecord) -> [JSONValue] {
    let requests = record.spec?.requests ?? []
    return requests.enumerated().map { index, request in
      var object = JSONObject()
      object["job"] = .string(record.id)
      object["custom_id"] = request.customID.map { .string($0) } ?? .null
      object["state"] = .string(record.state.rawValue)
      // A request's own failure (too long, cut short of its schema) is its error; the job's
      // error stands for the requests that have no answer of their own.
      var error: String? = record.error.isEmpty ? nil : record.error
      if let answer = record.result?.requests[safe: index] {
        object["text"] = .string(answer.text)
        object["finish_reason"] = .string(answer.finishReason)
        object["usage"] = answer.json["usage"] ?? .null
        object["seed"] = answer.sampling.seed.map { .int(Int64(bitPattern: $0)) } ?? .null
        error = answer.error ?? error
      } else {
        object["text"] = .null
      }
      object["error"] = error.map { .string($0) } ?? .null
      return .object(object)
    }
  }
}

extension Array {
  subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// Questions and answers for people to read.
enum MarkdownReport {
  static func render(_ records: [JobRecord]) -> String {
    var out = ""
    for record in records {
      let requests = record.spec?.requests ?? []
      if let prefix = record.spec.map({ PrefixHash.sharedPrefix(of: $0.requests) }), let context = prefix.last {
        out += "## Job \(record.id) (\(record.state.rawValue))\n\n> " + excerpt(context.content, 300) + "\n\n"
      } else {
        out += "## Job \(record.id) (\(record.state.rawValue))\n\n"
      }
      for (index, request) in requests.enumerated() {
        let question = request.messages.last?.content ?? ""
        out += "### " + (request.customID ?? "request \(index + 1)") + "\n\n"
        out += "**Question:** " + excerpt(lastLine(question), 400) + "\n\n"
        if let answer = record.result?.requests[safe: index], let error = answer.error {
          out += "**Error:** \(error)\n\n"
          if !answer.text.isEmpty { out += "**Answer as generated:** " + answer.text.trimmingTrailingWhitespace + "\n\n" }
        } else if let answer = record.result?.requests[safe: index] {
          out += answer.text.trimmingTrailingWhitespace + "\n\n"
          out += "_\(answer.generatedTokens) tokens, \(answer.finishReason), seed \(answer.sampling.seed.map(String.init) ?? "-")_\n\n"
        } else if !record.error.isEmpty {
          out += "**Error:** \(record.error)\n\n"
        } else {
          out += "_\(record.state.rawValue)_\n\n"
        }
      }
    }
    return out
  }

  static func lastLine(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: true).last.map(String.init) ?? text
  }

  static func excerpt(_ text: String, _ limit: Int) -> String {
    let flat = text.replacingOccurrences(of: "\n", with: " ")
    return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
  }
}

extension String {
  var trimmingTrailingWhitespace: String {
    var text = self
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }
}
