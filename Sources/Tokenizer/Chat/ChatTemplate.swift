import NightdeskRequests

/// Renders messages into a prompt in one of the known chat formats.
public struct ChatTemplate: Sendable {
  public let format: ChatFormat

  public init(format: ChatFormat) { self.format = format }

  /// The format of the model's stored template, unless `override` (`--chat-format`) says otherwise.
  public init(modelTemplate: String?, override: ChatFormat? = nil) throws {
    format = try override ?? ChatFormat(template: modelTemplate)
  }

  /// - Parameters:
  ///   - addGenerationPrompt: end with an open assistant turn for the model to continue.
  ///   - enableThinking: Qwen3 only; `false` opens the assistant turn with an empty
  ///     think block, as Qwen3's template does; nil (unset) behaves like true.
  public func render(
    _ messages: [ChatMessage], addGenerationPrompt: Bool = true, enableThinking: Bool? = nil
  ) throws -> RenderedChat {
    guard !messages.isEmpty else { throw ChatTemplateError.invalidMessages("there are no messages") }
    for (index, message) in messages.enumerated() where !ChatMessage.Role.known.contains(message.role) {
      throw ChatTemplateError.invalidMessages(
        "message \(index) has role \(message.role.rawValue.debugDescription); expected system, developer, user, assistant or tool")
    }
    // OpenAI's `developer` is a system message by its newer name; the templates know only `system`.
    let messages = messages.map { message in
      message.role == .developer
        ? ChatMessage(role: .system, content: message.content, reasoningContent: message.reasoningContent) : message
    }
    var chat = RenderedChat()
    switch format {
    case .qwen3:
      Qwen3ChatRenderer(messages: messages).render(into: &chat)
    case .llama3, .llama31:
      try Llama3ChatRenderer(messages: messages, datedSystemTurn: format == .llama31).render(into: &chat)
    case .chatml, .smollm2:
      if format == .smollm2, messages[0].role != .system {
        chat.template("<|im_start|>system\n\(ChatFormat.SmolLM2.defaultSystemPrompt)<|im_end|>\n")
      }
      for message in messages {
        chat.template("<|im_start|>\(message.role)\n")
        chat.content(message.content)
        chat.template("<|im_end|>\n")
      }
    }
    if addGenerationPrompt, format == .llama3 || format == .llama31 {
      chat.template(Llama3ChatRenderer.generationPrompt)
    } else if addGenerationPrompt {
      chat.template("<|im_start|>assistant\n")
      if format == .qwen3, enableThinking == false { chat.template("<think>\n\n</think>\n\n") }
    }
    return chat
  }
}
