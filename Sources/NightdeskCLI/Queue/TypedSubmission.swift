import Foundation
import NightdeskIngest
import NightdeskModel
import NightdeskQueue
import NightdeskRequests
import NightdeskSupport
import NightdeskTokenizer

/// `submit --type`: files read with the job type's input family, each document cut into
/// chunks by the model's tokens, and turned into one map-reduce group: a job per chunk
/// (the type's questions as canonical prompts, so they share the chunk as a prefix) and
/// a synthesis job, held in Redis until the chunk jobs have finished. Every request asks
/// for the type's output schema (`response_format`), so the synthesis reads structured
/// chunk answers and writes the document's structured result. A document that
/// fits one chunk gets its synthesis too, so every document's result is a synthesis.
struct TypedSubmission {
  struct Rejection {
    var file: String
    var error: String
  }

  var jobs: [JobSpec] = []
  var rejected: [Rejection] = []
  var documents = 0

  /// The model `submit --type` chunks for when `--model` is not given (the one the README runs the worker with).
  static let defaultModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

  /// - Parameter key: the submission's idempotency key: the groups are named after it, so
  ///   the same submit run again builds the same jobs (and queues only what is missing).
  static func build(type: JobType, files: [String], model: String, defaults: JobDefaults, key: String? = nil) throws
    -> TypedSubmission
  {
    let builder = try TypedJobBuilder(type: type, model: model)
    let tag = key.map { "k" + PrefixHash.digest($0).prefix(16) } ?? String(UInt64.random(in: 0..<UInt64.max), radix: 36)
    var submission = TypedSubmission()
    for file in files {
      let read = DocumentReader().read(file, family: type.input)
      if read.documents.isEmpty {
        let reason = read.errors.map(\.description).joined(separator: "; ")
        submission.rejected.append(Rejection(file: file, error: reason.isEmpty ? "\(file): no documents in the file" : reason))
        continue
      }
      for document in read.documents {
        let index = submission.documents
        let jobs: [JobSpec]
        do {
          jobs = try builder.jobs(for: document, index: index, group: "\(tag)-\(index)", defaults: defaults)
        } catch let error as TypedJobBuilder.TooManyChunks {
          submission.rejected.append(Rejection(file: file, error: error.description))
          continue
        }
        if jobs.isEmpty { continue }
        submission.documents += 1
        submission.jobs += jobs
      }
    }
    return submission
  }

  /// The chunk jobs of one document, then its synthesis job.
  static func group(
    _ document: Document, index: Int, chunks: [Chunk], type: JobType, template: ChatTemplate, group: String,
    defaults: JobDefaults
  ) throws -> [JobSpec] {
    let format: ResponseFormat? = type.outputSchema.json.objectValue.map { _ in
      .jsonSchema(name: type.name.replacingOccurrences(of: "-", with: "_"), schema: type.outputSchema.json)
    }
    var described = JSONObject([
      "source": .string(document.source), "job_type": .string(type.name),
      "type_file": .string(URL(fileURLWithPath: type.file).standardizedFileURL.path), "index": .int(Int64(index)),
    ])
    if let title = document.title { described["title"] = .string(title) }
    if let id = document.metadata["id"] ?? document.metadata["url"] { described["id"] = .string(id) }
    let name = "doc\(index + 1)"
    var specs: [JobSpec] = []
    for chunk in chunks {
      let prompts = try type.chunkPrompts(for: chunk, template: template)
      let requests = zip(type.prompts.questions, prompts).map { question, prompt in
        ChatRequest(customID: "\(name)/chunk\(chunk.index + 1)/\(question.id)", messages: prompt.messages,
                    sampling: sampling(type, maxTokens: type.limits.maxTokens), responseFormat: format,
                    enableThinking: type.thinking)
      }
      var chunkObject = JSONObject(["index": .int(Int64(chunk.index)), "count": .int(Int64(chunks.count))])
      if let pages = chunk.pages { chunkObject["pages"] = .array([.int(Int64(pages.lowerBound)), .int(Int64(pages.upperBound))]) }
      chunkObject["sections"] = .array(chunk.sections.map { .string($0) })
      // A feed's or dump's article or post numbers (first and last), when the source gives them.
      let items = chunk.locations.compactMap(\.item)
      if let first = items.min(), let last = items.max() { chunkObject["items"] = .array([.int(Int64(first)), .int(Int64(last))]) }
      var chunkDocument = described
      chunkDocument["chunk"] = .object(chunkObject)
      specs.append(spec(requests, defaults: defaults, document: chunkDocument, group: JobGroup(id: group, role: .chunk)))
    }
    // Stored with the synthesis prompt over no answers: the worker that claims it puts the
    // chunk jobs' answers in (`SynthesisRequest`).
    let placeholder = try type.synthesisPrompt(answers: [], template: template)
    let synthesis = ChatRequest(
      customID: "\(name)/synthesis", messages: placeholder.messages,
      sampling: sampling(type, maxTokens: type.limits.synthesisMaxTokens), responseFormat: format,
      enableThinking: type.thinking)
    var synthesisDocument = described
    synthesisDocument["chunks"] = .int(Int64(chunks.count))
    var last = spec([synthesis], defaults: defaults, document: synthesisDocument, group: JobGroup(id: group, role: .synthesis))
    last.kind = .synthesis
    specs.append(last)
    return specs
  }

  static func sampling(_ type: JobType, maxTokens: Int) -> SamplingParameters {
    SamplingParameters(temperature: type.sampling.temperature, topP: type.sampling.topP,
                       seed: type.sampling.seed.map { UInt64(truncatingIfNeeded: $0) }, maxTokens: maxTokens)
  }

  static func spec(_ requests: [ChatRequest], defaults: JobDefaults, document: JSONObject, group: JobGroup) -> JobSpec {
    var spec = JobSpec(requests: requests, priority: defaults.priority, desk: defaults.desk, deadline: defaults.deadline,
                       maxAttempts: defaults.maxAttempts)
    spec.document = .object(document)
    spec.group = group
    return spec
  }
}
