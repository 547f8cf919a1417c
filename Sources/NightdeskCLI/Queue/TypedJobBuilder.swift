import Foundation
import NightdeskIngest
import NightdeskModel
import NightdeskQueue
import NightdeskTokenizer

/// One job type's documents turned into map-reduce groups, cut into chunks by a model's
/// tokens to fit its context: the half of `submit --type` that does not read files, which
/// `nightdesk schedule` uses for each new article.
struct TypedJobBuilder {
  /// A document cut into more chunks than its job type allows.
  struct TooManyChunks: Error, CustomStringConvertible {
    var description: String
  }

  /// Tokens kept free of the document besides the system prompt, the question and the answer.
  static let promptMargin = 64

  let type: JobType
  let template: ChatTemplate
  /// Cuts by the model's tokens, into chunks of `options` (the type's, fitted to the context).
  let chunker: Chunker
  let options: ChunkingOptions

  init(type: JobType, model: String) throws {
    try JobTypeBudget.check(type)
    let package = try ModelPackage.open(model)
    let tokenizer = try Tokenizer(spec: package.tokenizerSpec())
    template = try ChatTemplate(modelTemplate: tokenizer.chatTemplate)
    let count: @Sendable (String) -> Int = { tokenizer.encode($0, allowSpecial: false).count }
    let longestQuestion = type.prompts.questions.map { count($0.text) }.max() ?? 0
    let budget = try package.config().maxPositions - type.limits.maxTokens - count(type.prompts.system) - longestQuestion
      - Self.promptMargin
    options = type.chunking(contextBudget: max(1, budget))
    chunker = Chunker(countTokens: count)
    self.type = type
  }

  /// The chunk jobs and the synthesis job of `document` (none for a document without
  /// text), as the group `group`; `index` numbers the document in its batch.
  func jobs(for document: Document, index: Int, group: String, defaults: JobDefaults) throws -> [JobSpec] {
    let chunks = chunker.chunks(of: document, options: options)
    if chunks.isEmpty { return [] }
    guard chunks.count <= type.limits.maxChunks else {
      throw TooManyChunks(description:
        "\(document.title ?? document.source): \(chunks.count) chunks; \(type.name) allows \(type.limits.maxChunks)")
    }
    return try TypedSubmission.group(
      document, index: index, chunks: chunks, type: type, template: template, group: group, defaults: defaults)
  }
}
