import Foundation
import NightdeskIngest
import NightdeskQueue
import NightdeskRequests
import NightdeskSupport

/// The reduce step of a document (`submit --type`): a claimed synthesis job's request is
/// rebuilt, before it runs, from its group's chunk jobs: each chunk's answers (the text,
/// which is the JSON object when the type has an output schema), headed by the chunk's
/// pages and sections, through the job type's `synthesisPrompt`. A chunk job that failed
/// is in it as its error, so the synthesis knows what is missing. When they do not fit
/// the worker's context, `StagedReduce` synthesises them in stages.
enum SynthesisRequest {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// `job`'s reduce, its request built over all the answers; the job type is read from
  /// the file recorded at submit, else by name from `typesFolder`.
  static func prepare(_ job: ClaimedJob, queue: QueueClient, typesFolder: String) throws -> StagedReduce {
    guard let group = job.spec.group, group.role == .synthesis, !job.spec.requests.isEmpty else {
      throw Failure(description: "synthesis job \(job.lease.job) has no group")
    }
    let document = job.spec.document?.objectValue ?? JSONObject()
    let type = try jobType(document, typesFolder: typesFolder)
    let records = try queue.records(try queue.chunkJobIDs(ofGroup: group.id))
    guard !records.isEmpty else { throw Failure(description: "the chunk jobs of group \(group.id) are gone (expired)") }
    return try StagedReduce(job: job, type: type, answers: records.flatMap(answers(of:)))
  }

  static func jobType(_ document: JSONObject, typesFolder: String) throws -> JobType {
    if let file = document["type_file"]?.stringValue, FileManager.default.fileExists(atPath: file) {
      return try JobType.load(path: file)
    }
    guard let name = document["job_type"]?.stringValue else {
      throw Failure(description: "the synthesis job names no job type")
    }
    return try JobType.named(name, folder: typesFolder)
  }

  /// One answer per question of a chunk job (its error, when it failed).
  static func answers(of record: JobRecord) -> [ChunkAnswer] {
    let chunk = chunk(from: record.spec?.document?.objectValue?["chunk"]?.objectValue ?? JSONObject())
    guard record.state == .succeeded, let result = record.result else {
      let why = record.error.isEmpty ? record.state.rawValue : record.error
      return [ChunkAnswer(chunk: chunk, questionID: "error", text: "(this chunk has no answer: \(why))")]
    }
    return result.requests.map { answer in
      let question = answer.customID.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "answer"
      return ChunkAnswer(chunk: chunk, questionID: question, text: answer.error.map { "(no answer: \($0))" } ?? answer.text)
    }
  }

  /// The chunk's citation (pages, sections) as submit recorded it; its text is not needed.
  static func chunk(from object: JSONObject) -> Chunk {
    var locations: [SourceLocation] = []
    if let pages = object["pages"]?.arrayValue?.compactMap(\.intValue), let first = pages.first, let last = pages.last {
      locations += [SourceLocation(page: first), SourceLocation(page: last)]
    }
    for section in object["sections"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
      locations.append(SourceLocation(section: section))
    }
    return Chunk(index: object["index"]?.intValue ?? 0, text: "", paragraphs: 0...0, tokenCount: 0, locations: locations)
  }
}
