import Foundation
import NightdeskSupport
import NightdeskTokenizer

/// One chunk's answer to one of a job type's questions: what the synthesis step reads.
public struct ChunkAnswer: Sendable, Equatable {
  public var chunk: Chunk
  public var questionID: String
  public var text: String

  public init(chunk: Chunk, questionID: String, text: String) {
    self.chunk = chunk
    self.questionID = questionID
    self.text = text
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
      var heading = "[chunk \(answer.chunk.index + 1), \(answer.questionID)"
      if let pages = answer.chunk.pages {
        heading += pages.count == 1 ? ", p. \(pages.lowerBound)" : ", pp. \(pages.lowerBound)-\(pages.upperBound)"
      }
      if !answer.chunk.sections.isEmpty { heading += ", " + answer.chunk.sections.joined(separator: "; ") }
      return heading + "]\n" + answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }.joined(separator: "\n\n")
    let question = prompts.synthesis + "\n\nAnswer with one JSON object that follows this JSON Schema:\n"
      + JSONWriter.string(outputSchema.json)
    return try CanonicalPrompt(system: prompts.system, document: document, question: question, template: template,
                               enableThinking: thinking)
  }
}
