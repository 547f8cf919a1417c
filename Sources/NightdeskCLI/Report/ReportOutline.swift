import NightdeskSupport

/// The human report as headings, paragraphs and bullet lists, written once
/// (`BatchReport.outline`) and rendered as Markdown or HTML.
enum ReportBlock {
  case heading(level: Int, text: String)
  case paragraph(String)
  case bullets([String])
}

extension BatchReport {
  /// Per document: status, its structured findings (the digest first when there is a
  /// `summary`), then each chunk's answers under the chunk's citation (pages, sections);
  /// then aggregates across documents, then every failure with its reason.
  var outline: [ReportBlock] {
    var blocks: [ReportBlock] = [.heading(level: 1, text: "Report for batch \(batch)")]
    let done = documents.filter { $0.status == "succeeded" }.count
    blocks.append(.paragraph("\(documents.count) document(s): \(done) with results, \(failures.count) failure(s)."))
    for document in documents {
      blocks.append(.heading(level: 2, text: (document.title.map { "\($0) — " } ?? "") + document.source))
      blocks.append(.paragraph("Job type \(document.jobType); status \(document.status)."
        + (document.reduceStages.flatMap { $0 > 1 ? " Synthesised in \($0) stages (the answers did not fit the context at once)." : nil }
          ?? "")
        + (document.error.map { " Error: \($0)" } ?? "")))
      if let result = document.result {
        if let summary = result["summary"]?.stringValue ?? result["digest"]?.stringValue ?? result["outlook"]?.stringValue {
          blocks.append(.heading(level: 3, text: "Digest"))
          blocks.append(.paragraph(summary))
        }
        blocks.append(.heading(level: 3, text: "Findings"))
        blocks.append(.bullets(result.pairs.flatMap { key, value in Self.lines(key, value) }))
      }
      blocks.append(.heading(level: 3, text: "Sources"))
      blocks.append(.bullets(document.chunks.map { chunk in
        let cite = chunk.citation.isEmpty ? "whole text" : chunk.citation
        let state = chunk.state == .succeeded ? "" : " — \(chunk.state.rawValue)\(chunk.error.isEmpty ? "" : ": \(chunk.error)")"
        let answers = chunk.answers.map { "\($0.0): \(Self.excerpt($0.1))" }.joined(separator: " | ")
        return "chunk \(chunk.index + 1) [\(cite)]\(state)\(answers.isEmpty ? "" : " — \(answers)")"
      }))
    }
    let aggregates = sentimentByEntity
    if !aggregates.isEmpty {
      blocks.append(.heading(level: 2, text: "Sentiment by entity"))
      blocks.append(.bullets(aggregates.map { entity, counts in
        entity + ": " + counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
      }))
    }
    blocks.append(.heading(level: 2, text: "Failures"))
    blocks.append(failures.isEmpty ? .paragraph("None.") : .bullets(failures.map { "\($0.source): \($0.error)" }))
    return blocks
  }

  /// A finding as bullet lines: scalars inline, each object of a list on a line of its own.
  static func lines(_ key: String, _ value: JSONValue) -> [String] {
    if let items = value.arrayValue {
      if items.isEmpty { return ["\(key): none"] }
      return items.map { "\(key): \(inline($0))" }
    }
    return ["\(key): \(inline(value))"]
  }

  static func inline(_ value: JSONValue) -> String {
    switch value {
    case .string(let text): return text
    case .object(let object): return object.pairs.map { "\($0.key) \(inline($0.value))" }.joined(separator: "; ")
    case .array(let items): return items.map(inline).joined(separator: ", ")
    default: return JSONWriter.string(value)
    }
  }

  static func excerpt(_ text: String) -> String {
    let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return flat.count > 240 ? String(flat.prefix(240)) + "…" : flat
  }
}
