/// A rendered chat prompt: the template's own text (trusted: its `<|im_start|>`
/// are control tokens) interleaved with the messages' content (which may come
/// from untrusted documents).
public struct RenderedChat: Sendable, Equatable {
  public struct Part: Sendable, Equatable {
    public var text: String
    /// True for message content, false for the template's scaffolding.
    public var isContent: Bool
  }

  public private(set) var parts: [Part] = []

  /// The prompt as one string (what the Jinja template would print).
  public var text: String { parts.map(\.text).joined() }

  mutating func template(_ text: String) {
    if !text.isEmpty { parts.append(Part(text: text, isContent: false)) }
  }

  mutating func content(_ text: String) {
    if !text.isEmpty { parts.append(Part(text: text, isContent: true)) }
  }

  /// Segments for `Tokenizer.encode`: with `trustContent` false, added-token
  /// strings inside message content stay plain text.
  public func segments(trustContent: Bool) -> [TextSegment] {
    parts.map { TextSegment($0.text, trusted: !$0.isContent || trustContent) }
  }
}

extension Tokenizer {
  /// Token ids of a rendered chat. Content is untrusted unless said otherwise, so
  /// a document cannot close the turn by containing `<|im_end|>`; with
  /// `trustContent` the ids equal encoding `chat.text` with special tokens allowed.
  public func encode(_ chat: RenderedChat, trustContent: Bool = false) -> [Int32] {
    encode(chat.segments(trustContent: trustContent))
  }
}
