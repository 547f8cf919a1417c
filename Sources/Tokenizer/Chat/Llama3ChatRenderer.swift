import NightdeskRequests

/// Llama 3's header-and-eot layout, as Meta's Jinja templates print it without tools:
/// `<|start_header_id|>role<|end_header_id|>\n\n` + trimmed content + `<|eot_id|>`,
/// the first turn preceded by `<|begin_of_text|>`. Llama 3.1 and later always open
/// with a system turn carrying the knowledge cutoff and the template's default date,
/// the chat's own system message (if any) folded into it.
///
/// The BOS is template text here, as in the Jinja template; callers that add a BOS
/// for the tokenizer's `add_bos_token` must not add a second one.
struct Llama3ChatRenderer {
  let messages: [ChatMessage]
  /// True for 3.1 and later (the template mentions "Cutting Knowledge Date").
  let datedSystemTurn: Bool

  static let beginOfText = "<|begin_of_text|>"
  /// What Meta's 3.1 template prints when the caller gives no `date_string`.
  static let defaultDate = "26 Jul 2024"

  func render(into chat: inout RenderedChat) throws {
    chat.template(Self.beginOfText)
    var turns = messages[...]
    if datedSystemTurn {
      if let tool = messages.firstIndex(where: { $0.role == "tool" }) {
        // 3.1 prints tool results as `ipython` turns holding JSON: not rendered natively yet.
        throw ChatTemplateError.invalidMessages("message \(tool) has role \"tool\", which the Llama 3.1 format does not support here")
      }
      chat.template("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: \(Self.defaultDate)\n\n")
      if messages[0].role == "system" {
        chat.content(messages[0].content.pythonStripped)
        turns = turns.dropFirst()
      }
      chat.template("<|eot_id|>")
    }
    for message in turns {
      chat.template("<|start_header_id|>\(message.role)<|end_header_id|>\n\n")
      chat.content(message.content.pythonStripped)
      chat.template("<|eot_id|>")
    }
  }

  static let generationPrompt = "<|start_header_id|>assistant<|end_header_id|>\n\n"
}

extension String {
  /// Jinja's `trim`, which is Python's `str.strip()`: every Unicode whitespace scalar
  /// Python's `isspace` knows, from both ends (Swift's `whitespacesAndNewlines` differs).
  var pythonStripped: String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.isPythonSpace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.isPythonSpace })!
    return String(scalars[first...last])
  }
}

extension Unicode.Scalar {
  fileprivate var isPythonSpace: Bool {
    switch value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
  }
}
