/// What a document was read from; a reader produces one kind.
public enum DocumentKind: String, Sendable, CaseIterable {
  case pdf
  case html
  case markdown
  case text
  /// One article of a news JSONL file or an RSS/Atom feed.
  case newsArticle = "news-article"
  /// One top-level post of a social dump with its replies, depth first.
  case socialThread = "social-thread"
}
