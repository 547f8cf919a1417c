/// The chat prompt layouts Nightdesk renders (there is no general Jinja engine:
/// a model's template is recognised by what it contains and rendered natively).
public enum ChatFormat: String, Sendable, CaseIterable {
  /// Qwen3's hybrid-thinking ChatML: think blocks, `enable_thinking`, tool turns.
  case qwen3
  /// Plain ChatML: `<|im_start|>role\ncontent<|im_end|>\n` per message.
  case chatml
  /// ChatML that adds SmolLM2's default system prompt when the chat has none.
  case smollm2
  /// Llama 3's header and `<|eot_id|>` turns (Llama 3.0 and its fine-tunes).
  case llama3
  /// Llama 3.1 and later: the same turns, opened by a dated system turn.
  case llama31 = "llama3.1"

  /// The format of a model's stored Jinja template.
  public init(template: String?) throws {
    guard let template, !template.isEmpty else { throw ChatTemplateError.noTemplate }
    if template.contains("<|start_header_id|>") && template.contains("<|eot_id|>") {
      self = template.contains("Cutting Knowledge Date") ? .llama31 : .llama3
      return
    }
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

  /// The `--chat-format` values, for help and error texts.
  public static var names: String { allCases.map(\.rawValue).joined(separator: "|") }

  enum SmolLM2 {
    static let defaultSystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
  }
}
