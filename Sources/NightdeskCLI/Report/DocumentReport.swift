import Foundation
import NightdeskIngest
import NightdeskQueue
import NightdeskSupport

/// One document of a typed batch (`submit --type`) as the report shows it: its
/// synthesis job's state and structured result, its chunks' citations and answers, and
/// what failed. Built from the job records of its map-reduce group.
struct DocumentReport {
  struct ChunkFinding {
    var index: Int
    /// "pp. 2-3, §Risks; §Outlook", "item 4", or "" when the source gives no pages, items or sections.
    var citation: String
    var state: JobState
    var error: String
    /// (question id, answer text) per request.
    var answers: [(String, String)]
  }

  var source: String
  var title: String?
  var jobType: String
  /// The synthesis job's state (`invalid` when it succeeded with output that is not a
  /// schema-valid object).
  var status: String
  var result: JSONObject?
  var error: String?
  /// The stages the synthesis's reduce took (1: the chunks' answers fitted the context at
  /// once), when the synthesis ran.
  var reduceStages: Int?
  var chunks: [ChunkFinding]
  /// Every failed job of the document, chunk or synthesis, with its reason.
  var failures: [String]

  /// `records` of one group: its chunk jobs and its synthesis job, in any order.
  init(group records: [JobRecord]) {
    let synthesis = records.first { $0.spec?.group?.role == .synthesis }
    let document = (synthesis ?? records[0]).spec?.document?.objectValue ?? JSONObject()
    source = document["source"]?.stringValue ?? "?"
    title = document["title"]?.stringValue
    jobType = document["job_type"]?.stringValue ?? "?"
    chunks = records.filter { $0.spec?.group?.role == .chunk }.map(Self.finding).sorted { $0.index < $1.index }
    failures = chunks.filter { !$0.error.isEmpty || ($0.state.isFinished && $0.state != .succeeded) }.map { chunk in
      "chunk \(chunk.index + 1)\(chunk.citation.isEmpty ? "" : " (\(chunk.citation))"): "
        + (chunk.error.isEmpty ? chunk.state.rawValue : chunk.error)
    }
    guard let synthesis else {
      status = "missing"
      error = "the document's synthesis job is gone"
      failures.append("synthesis: \(error ?? "")")
      return
    }
    status = synthesis.state.rawValue
    switch synthesis.state {
    case .succeeded:
      let text = synthesis.result?.requests.first?.text ?? ""
      reduceStages = synthesis.result?.requests.first?.reduce?.count
      let schema = (try? SynthesisSchema.load(document))
      switch Self.object(in: text) {
      case .some(let object):
        let violations = schema?.violations(of: .object(object)) ?? []
        if violations.isEmpty {
          result = object
        } else {
          status = "invalid"
          error = "the result does not follow the \(jobType) schema: " + violations.prefix(5).joined(separator: "; ")
        }
      case .none:
        status = "invalid"
        error = "the synthesis answer is not a JSON object: " + String(text.prefix(200))
      }
    case .failed, .dead, .cancelled:
      error = synthesis.error.isEmpty ? synthesis.state.rawValue : synthesis.error
    default:
      error = nil
    }
    if let error, status != "succeeded" { failures.append("synthesis: \(error)") }
  }

  /// The JSON object in a model's answer: the whole text, else its outermost `{...}`.
  static func object(in text: String) -> JSONObject? {
    if let object = (try? JSONParser.parse(text))?.objectValue { return object }
    guard let start = text.firstIndex(of: "{"), let end = text.lastIndex(of: "}"), start < end else { return nil }
    return (try? JSONParser.parse(String(text[start...end])))?.objectValue
  }

  static func finding(_ record: JobRecord) -> ChunkFinding {
    let chunk = record.spec?.document?.objectValue?["chunk"]?.objectValue ?? JSONObject()
    var parts: [String] = []
    if let pages = chunk["pages"]?.arrayValue?.compactMap(\.intValue), let first = pages.first, let last = pages.last {
      parts.append(first == last ? "p. \(first)" : "pp. \(first)-\(last)")
    }
    if let items = chunk["items"]?.arrayValue?.compactMap(\.intValue), let first = items.first, let last = items.last {
      parts.append(first == last ? "item \(first)" : "items \(first)-\(last)")
    }
    let sections = chunk["sections"]?.arrayValue?.compactMap(\.stringValue) ?? []
    if !sections.isEmpty { parts.append(sections.map { "§" + $0 }.joined(separator: "; ")) }
    let answers = (record.result?.requests ?? []).map { answer in
      (answer.customID.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "answer", answer.error ?? answer.text)
    }
    return ChunkFinding(index: chunk["index"]?.intValue ?? 0, citation: parts.joined(separator: ", "), state: record.state,
                        error: record.error, answers: answers)
  }

  var json: JSONValue {
    var object = JSONObject([
      "source": .string(source), "job_type": .string(jobType), "status": .string(status),
      "result": result.map { .object($0) } ?? .null, "error": error.map { .string($0) } ?? .null,
    ])
    if let reduceStages { object["reduce_stages"] = .int(Int64(reduceStages)) }
    return .object(object)
  }
}

/// The output schema of a document's job type, from the type file recorded at submit.
enum SynthesisSchema {
  static func load(_ document: JSONObject) throws -> OutputSchema? {
    guard let file = document["type_file"]?.stringValue, FileManager.default.fileExists(atPath: file) else { return nil }
    return try JobType.load(path: file).outputSchema
  }
}
