/// `ThinkingSplit` for text that arrives in pieces: each piece is routed to the
/// reasoning or the answer as soon as that is known, and the pieces of each side
/// concatenate to what `ThinkingSplit` gives for the whole text. Only text that could
/// still change side is held back: leading whitespace and a partial `<think>` at the
/// start, a partial `</think>` and trailing newlines inside the block.
///
/// Unlike `ThinkingSplit`, a block closed without being opened (a template that opens
/// it in the prompt) is not recognised: that would hold every answer until its end.
/// Qwen3's template never does that.
public struct ThinkingStream: Sendable {
  private enum Phase {
    case start, reasoning, afterClose, answer
  }

  private var phase = Phase.start
  private var held = ""
  private var reasoningStarted = false

  public init() {}

  /// Routes `text`; returns what can be released now on each side.
  public mutating func append(_ text: String) -> (reasoning: String, answer: String) {
    held += text
    var reasoning = ""
    var answer = ""
    while true {
      switch phase {
      case .start:
        let trimmed = Self.dropLeadingWhitespace(held)
        if trimmed.hasPrefix(ThinkingSplit.open) {
          held = String(trimmed.dropFirst(ThinkingSplit.open.count))
          phase = .reasoning
          continue
        }
        if trimmed.isEmpty || ThinkingSplit.open.hasPrefix(trimmed) { return (reasoning, answer) }
        answer += held
        held = ""
        phase = .answer
      case .reasoning:
        if !reasoningStarted {
          held = String(held.unicodeScalars.drop { $0 == "\n" })
          reasoningStarted = !held.isEmpty
        }
        if let close = held.range(of: ThinkingSplit.close) {
          reasoning += Self.dropTrailingNewlines(held[..<close.lowerBound])
          held = String(held[close.upperBound...])
          phase = .afterClose
          continue
        }
        // Keep what may be the start of `</think>`, and trailing newlines (dropped at the block's end).
        var keep = 0
        for length in stride(from: min(held.count, ThinkingSplit.close.count - 1), to: 0, by: -1)
        where ThinkingSplit.close.hasPrefix(held.suffix(length)) {
          keep = length
          break
        }
        let candidate = held.dropLast(keep)
        let released = Self.dropTrailingNewlines(candidate)
        reasoning += released
        held = String(held.unicodeScalars.dropFirst(released.unicodeScalars.count))
        return (reasoning, answer)
      case .afterClose:
        let trimmed = Self.dropLeadingWhitespace(held)
        if trimmed.isEmpty {
          held = ""
          return (reasoning, answer)
        }
        held = String(trimmed)
        phase = .answer
      case .answer:
        answer += held
        held = ""
        return (reasoning, answer)
      }
    }
  }

  /// The end of the text: releases what was held.
  public mutating func finish() -> (reasoning: String, answer: String) {
    defer { held = "" }
    switch phase {
    case .start, .answer: return ("", held)
    case .reasoning: return (Self.dropTrailingNewlines(Substring(held)), "")
    case .afterClose: return ("", "")
    }
  }

  private static func dropLeadingWhitespace(_ text: String) -> Substring {
    Substring(text).drop { $0 == "\n" || $0 == " " || $0 == "\r" || $0 == "\t" }
  }

  private static func dropTrailingNewlines(_ text: Substring) -> String {
    var scalars = text.unicodeScalars
    while scalars.last == "\n" { scalars.removeLast() }
    return String(scalars)
  }
}
