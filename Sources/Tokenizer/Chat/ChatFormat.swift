/// The chat prompt layouts Nightdesk renders (there is no general Jinja engine:
/// a model's template is recognised by what it contains and rendered natively).
public enum ChatFormat: String, Sendable, CaseIterable {
  /// Qwen3's hybrid-thinking ChatML: think blocks, `enable_thinking`, tool turns.
  case qwen3
  /// Plain ChatML: `<|im_start|>role\ncontent<|im_end|>\n` per message.
  case chatml
  /// ChatML that adds SmolLM2's default system prompt when the chat has none.
  case smollm2

  /// The format of a model's stored Jinja template.
  public init(template: String?) throws {
    guard let template, !template.isEmpty else { throw ChatTemplateError.noTemplate }
    guard template.contains("<|im_start|>") else { throw ChatTemplateError.unknownTemplate }
    if template.contains("enable_thinking") || template.contains("<think>") {
      self = .qwen3
    } else if template.contains(SmolLM2.defaultSystemPrompt) {
      self = .smollm2
    } else if template.contains("You are") {
      // Another built-in system prompt (Qwen2.5's "You are Qwen, …"): plain ChatML
      // would silently leave it out.
      throw ChatTemplateError.unknownTemplate
    } else {
      self = .chatml
    }
  }

  enum SmolLM2 {
    static let defaultSystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
  }
}
