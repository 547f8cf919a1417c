import Foundation
import NightdeskRequests
import NightdeskTokenizer

/// Every request on one document rendered the same way: the system prompt and the
/// document in the system turn, then the question as the user turn. All of a
/// document's requests then share a byte- and token-identical prefix that the engine
/// computes once (it is also the leading message the queue groups requests by, the
/// layout `submit --document` uses).
///
/// Where the prefix ends matters. It ends after `<|im_start|>user\n`, before the
/// question; everything that differs comes later: the question, then the generation
/// turn, where Qwen3 with thinking off adds its empty `<think>` block. The question is
/// trimmed of surrounding whitespace so that it never begins with whitespace, which a
/// BPE pre-tokenizer could merge with the `\n` before it; then the prefix tokenizes the
/// same alone as inside every prompt (tested with the Qwen3 and SmolLM2 tokenizers).
public struct CanonicalPrompt: Sendable, Equatable {
  /// The messages: the system turn (system prompt + document), then the question.
  public let messages: [ChatMessage]
  /// The whole prompt, ending with the open assistant turn.
  public let chat: RenderedChat
  /// How many of `chat.parts` form the shared prefix.
  public let prefixPartCount: Int

  /// Between the system prompt and the document, as `submit --document` writes it.
  public static let documentHeader = "\n\nDocument:\n"

  /// The system message content for `document` under `system`.
  public static func systemContent(system: String, document: String) -> String {
    system + documentHeader + document
  }

  /// Renders `question` on `document`.
  /// - Parameter enableThinking: Qwen3 only (a job type's `thinking`); other formats ignore it.
  public init(system: String, document: String, question: String, template: ChatTemplate, enableThinking: Bool?) throws {
    let question = question.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !question.isEmpty else { throw ChatTemplateError.invalidMessages("the question is empty") }
    messages = [
      ChatMessage(role: "system", content: Self.systemContent(system: system, document: document)),
      ChatMessage(role: "user", content: question),
    ]
    chat = try template.render(messages, addGenerationPrompt: true, enableThinking: enableThinking)
    // The question is the last content part; the prefix is everything before it.
    guard let questionPart = chat.parts.lastIndex(where: { $0.isContent && $0.text == question }) else {
      throw ChatTemplateError.invalidMessages("the template did not render the question as a turn of its own")
    }
    prefixPartCount = questionPart
  }

  /// The shared prefix as segments for `Tokenizer.encode` (content untrusted).
  public var prefixSegments: [TextSegment] { Array(chat.segments(trustContent: false).prefix(prefixPartCount)) }

  /// The shared prefix's text.
  public var prefixText: String { chat.parts.prefix(prefixPartCount).map(\.text).joined() }

  /// Token ids of the whole prompt (document content untrusted: it cannot close a turn).
  public func tokens(_ tokenizer: Tokenizer) -> [Int32] { tokenizer.encode(chat) }

  /// Token ids of the shared prefix; every prompt of the document starts with them.
  public func prefixTokens(_ tokenizer: Tokenizer) -> [Int32] { tokenizer.encode(prefixSegments) }
}
