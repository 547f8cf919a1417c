import NightdeskRequests

/// Qwen3's hybrid-thinking template (Tests/Fixtures/templates/qwen3_chat_template.jinja),
/// without tool definitions: assistant turns after the last real user query keep
/// their reasoning in a `<think>` block, earlier ones have it stripped; consecutive
/// tool results are grouped into one user turn.
struct Qwen3ChatRenderer {
  let messages: [ChatMessage]

  func render(into chat: inout RenderedChat) {
    if messages[0].role == .system {
      chat.template("<|im_start|>system\n")
      chat.content(messages[0].content)
      chat.template("<|im_end|>\n")
    }
    let lastQuery = lastQueryIndex()
    for (index, message) in messages.enumerated() {
      switch message.role {
      case .user:
        renderPlain(message, into: &chat)
      case .system:
        if index > 0 { renderPlain(message, into: &chat) }  // the first one is already written
      case .assistant:
        renderAssistant(message, at: index, lastQuery: lastQuery, into: &chat)
      case .tool:
        if index == 0 || messages[index - 1].role != .tool { chat.template("<|im_start|>user") }
        chat.template("\n<tool_response>\n")
        chat.content(message.content)
        chat.template("\n</tool_response>")
        if index == messages.count - 1 || messages[index + 1].role != .tool { chat.template("<|im_end|>\n") }
      default:
        break  // ChatTemplate admits only the known roles, and renders developer as system
      }
    }
  }

  private func renderPlain(_ message: ChatMessage, into chat: inout RenderedChat) {
    chat.template("<|im_start|>\(message.role)\n")
    chat.content(message.content)
    chat.template("<|im_end|>\n")
  }

  /// The last user message that is a real query, not a wrapped tool response.
  private func lastQueryIndex() -> Int {
    for index in messages.indices.reversed() where messages[index].role == .user {
      let content = messages[index].content.utf8
      if !(content.starts(with: "<tool_response>".utf8) && content.reversed().starts(with: "</tool_response>".utf8.reversed())) {
        return index
      }
    }
    return messages.count - 1
  }

  private func renderAssistant(_ message: ChatMessage, at index: Int, lastQuery: Int, into chat: inout RenderedChat) {
    var content = message.content
    var reasoning = message.reasoningContent ?? ""
    let pieces = content.pythonSplit("</think>")
    if message.reasoningContent == nil, pieces.count > 1 {
      let beforeClose = pieces[0].trimmingSuffix("\n")
      reasoning = beforeClose.pythonSplit("<think>").last!.trimmingPrefix("\n")
      content = pieces.last!.trimmingPrefix("\n")
    }
    chat.template("<|im_start|>assistant\n")
    if index > lastQuery, index == messages.count - 1 || !reasoning.isEmpty {
      chat.template("<think>\n")
      chat.content(reasoning.trimmingPrefix("\n").trimmingSuffix("\n"))
      chat.template("\n</think>\n\n")
      chat.content(content.trimmingPrefix("\n"))
    } else {
      chat.content(content)
    }
    chat.template("<|im_end|>\n")
  }
}

// Python's str methods, on scalars and bytes: Swift's Character-level `contains`,
// `hasPrefix` and `\r\n` graphemes would differ from the template on edge cases.
extension String {
  /// `lstrip(c)` for one ASCII scalar.
  fileprivate func trimmingPrefix(_ scalar: Unicode.Scalar) -> String {
    String(unicodeScalars.drop { $0 == scalar })
  }

  /// `rstrip(c)` for one ASCII scalar.
  fileprivate func trimmingSuffix(_ scalar: Unicode.Scalar) -> String {
    var result = Substring(self).unicodeScalars
    while result.last == scalar { result.removeLast() }
    return String(result)
  }

  /// `split(separator)`: the pieces between exact occurrences, at least one.
  fileprivate func pythonSplit(_ separator: String) -> [String] {
    let bytes = Array(utf8)
    let needle = Array(separator.utf8)
    var pieces: [String] = []
    var start = 0
    var i = 0
    while i + needle.count <= bytes.count {
      if bytes[i..<(i + needle.count)].elementsEqual(needle) {
        pieces.append(String(decoding: bytes[start..<i], as: UTF8.self))
        i += needle.count
        start = i
      } else {
        i += 1
      }
    }
    pieces.append(String(decoding: bytes[start...], as: UTF8.self))
    return pieces
  }
}
