import Foundation
import NightdeskSupport
import NightdeskTokenizer

/// One chunk's answer to one of a job type's questions: what the synthesis step reads.
/// In a staged reduce it is also a partial synthesis over several chunks' answers
/// (`chunks` spans them, `chunk` holds all their locations), so citations carry through.
public struct ChunkAnswer: Sendable, Equatable {
  public var chunk: Chunk
  /// The chunk indices the answer covers: `chunk.index` alone, or a partial synthesis's span.
  public var chunks: ClosedRange<Int>
  public var questionID: String
  public var text: String

  public init(chunk: Chunk, questionID: String, text: String) {
    self.chunk = chunk
    chunks = chunk.index...chunk.index
    self.questionID = questionID
    self.text = text
  }

  /// A partial synthesis over `answers` (in order): it covers their chunks, and cites
  /// every page and section they cite.
  public init(partialOver answers: [ChunkAnswer], label: String, text: String) {
    let first = answers.map(\.chunks.lowerBound).min() ?? 0
    let last = answers.map(\.chunks.upperBound).max() ?? first
    var seen: Set<SourceLocation> = []
    let locations = answers.flatMap(\.chunk.locations).filter { seen.insert($0).inserted }
    chunk = Chunk(index: first, text: "", paragraphs: 0...0, tokenCount: 0, locations: locations)
    chunks = first...last
    questionID = label
    self.text = text
  }

  /// "[chunk 2, risks, pp. 3-4, Risks]": who answered and where it is in the document.
  var heading: String {
    var heading = chunks.count == 1 ? "[chunk \(chunks.lowerBound + 1)" : "[chunks \(chunks.lowerBound + 1)-\(chunks.upperBound + 1)"
    heading += ", \(questionID)"
    if let pages = chunk.pages {
      heading += pages.count == 1 ? ", p. \(pages.lowerBound)" : ", pp. \(pages.lowerBound)-\(pages.upperBound)"
    }
    if !chunk.sections.isEmpty { heading += ", " + chunk.sections.joined(separator: "; ") }
    return heading + "]"
  }
}

extension JobType {
  /// The map step's requests on one chunk: one per question, each the canonical prompt
  /// (the type's system prompt, the chunk, the question), so all of a chunk's requests
  /// share one prefix. Thinking as the type says.
  public func chunkPrompts(for chunk: Chunk, template: ChatTemplate) throws -> [CanonicalPrompt] {
    try prompts.questions.map {
      try CanonicalPrompt(system: prompts.system, document: chunk.text, question: $0.text, template: template,
                          enableThinking: thinking)
    }
  }

  /// The reduce step's request: the chunks' answers as its document, each headed by the
  /// chunk's pages and sections (so the synthesis can cite them), then the synthesis
  /// prompt with the output schema it must follow.
  public func synthesisPrompt(answers: [ChunkAnswer], template: ChatTemplate) throws -> CanonicalPrompt {
    let document = answers.map { answer in
      answer.heading + "\n" + answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }.joined(separator: "\n\n")
    let question = prompts.synthesis + "\n\nAnswer with one JSON object that follows this JSON Schema:\n"
      + JSONWriter.string(outputSchema.json)
    return try CanonicalPrompt(system: prompts.system, document: document, question: question, template: template,
                               enableThinking: thinking)
  }
}
