/// Separates a reasoning model's think block from its answer, so an answer a desk
/// reads never holds the model's scratch work (kept apart as `reasoning`).
///
/// Qwen3 writes `<think>\n…\n</think>\n\n` before the answer when thinking is on; with
/// thinking off the template has already written an empty block, and the generated
/// text is the answer alone. A generation cut off inside the block (the token limit)
/// is all reasoning and no answer.
public struct ThinkingSplit: Sendable, Equatable {
  public var reasoning: String?
  public var answer: String

  static let open = "<think>"
  static let close = "</think>"

  public init(reasoning: String?, answer: String) {
    self.reasoning = reasoning
    self.answer = answer
  }

  public init(generated text: String) {
    let afterOpen = Self.dropLeadingWhitespace(text).dropPrefix(Self.open)
    if let afterOpen, let close = afterOpen.range(of: Self.close) {
      reasoning = String(afterOpen[..<close.lowerBound]).trimmingNewlines
      answer = String(Self.dropLeadingWhitespace(afterOpen[close.upperBound...]))
    } else if let afterOpen {
      reasoning = String(afterOpen).trimmingNewlines
      answer = ""
    } else if let close = text.range(of: Self.close), !text[..<close.lowerBound].contains(Self.open) {
      // A template that opened the block itself (`<think>\n` at the end of the prompt).
      reasoning = String(text[..<close.lowerBound]).trimmingNewlines
      answer = String(Self.dropLeadingWhitespace(text[close.upperBound...]))
    } else {
      reasoning = nil
      answer = text
    }
  }

  private static func dropLeadingWhitespace(_ text: some StringProtocol) -> Substring {
    Substring(text).drop { $0 == "\n" || $0 == " " || $0 == "\r" || $0 == "\t" }
  }
}

extension Substring {
  fileprivate func dropPrefix(_ prefix: String) -> Substring? {
    hasPrefix(prefix) ? dropFirst(prefix.count) : nil
  }
}

extension String {
  fileprivate var trimmingNewlines: String {
    var scalars = Substring(self).unicodeScalars
    while scalars.first == "\n" { scalars.removeFirst() }
    while scalars.last == "\n" { scalars.removeLast() }
    return String(scalars)
  }
}
