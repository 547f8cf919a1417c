import NightdeskSupport

/// A top-level social post and its replies (nested as `replies`, `children` or
/// `comments`), flattened depth first into one document: a paragraph per post,
/// `@author: text`, cited by the post's id.
struct SocialThread {
  static let textKeys = ["text", "body", "content", "selftext", "message", "full_text"]
  static let replyKeys = ["replies", "children", "comments"]

  /// The thread in `value` (the `item`-th of its file), with a problem for each post
  /// that could not be used; nil document when the top-level post itself is unusable.
  static func document(
    _ value: JSONValue, source: String, item: Int, line: Int?, maxDepth: Int
  ) -> (document: Document?, problems: [String]) {
    guard value.objectValue != nil else { return (nil, ["expected a post object, found \(value.kindName)"]) }
    var builder = SectionBuilder()
    var problems: [String] = []
    var posts = 0
    var metadata: [String: String] = [:]
    // An explicit stack, not recursion: the depth of untrusted nesting costs no stack.
    var stack: [(post: JSONValue, depth: Int, path: String)] = [(value, 0, "\(item)")]
    while let (post, depth, path) = stack.popLast() {
      guard let object = post.objectValue else {
        problems.append("reply \(path) is \(post.kindName), not a post object")
        continue
      }
      let id = string(object["id"]) ?? string(object["id_str"]) ?? path
      let author = author(of: object)
      if depth == 0 {
        metadata["id"] = id
        if let author { metadata["author"] = author }
        for key in ["created_at", "created_utc", "timestamp", "time", "date"] {
          if let time = string(object[key]) { metadata["created"] = time; break }
        }
        if let url = string(object["url"]) ?? string(object["permalink"]) { metadata["url"] = url }
      }
      if let text = textKeys.lazy.compactMap({ object[$0]?.stringValue }).first(where: { !$0.allSatisfy(\.isWhitespace) }) {
        builder.paragraph(author.map { "@\($0): \(text)" } ?? text, at: SourceLocation(line: line, item: item, post: id))
        posts += 1
      } else if depth == 0 {
        problems.append("the post has no text (none of \(textKeys.joined(separator: ", ")) is a non-empty string)")
      } else {
        problems.append("reply \(id) has no text")
      }
      guard let replies = replyKeys.lazy.compactMap({ object[$0]?.arrayValue }).first else { continue }
      if depth + 1 > maxDepth {
        problems.append("post \(id): replies nest deeper than \(maxDepth) levels; the deeper ones are left out")
        continue
      }
      for (index, reply) in replies.enumerated().reversed() {
        stack.append((reply, depth + 1, "\(path).\(index + 1)"))
      }
    }
    guard posts > 0 else { return (nil, problems) }
    let title = metadata["author"].map { "thread by @\($0)" }
    return (Document(source: source, kind: .socialThread, title: title, sections: builder.sections, metadata: metadata), problems)
  }

  static func string(_ value: JSONValue?) -> String? {
    switch value {
    case .string(let text)?: return text.isEmpty ? nil : text
    case .int(let number)?: return String(number)
    case .double(let number)?: return String(number)
    default: return nil
    }
  }

  static func author(of object: JSONObject) -> String? {
    for key in ["author", "user", "username", "screen_name", "handle"] {
      switch object[key] {
      case .string(let name)? where !name.isEmpty: return name
      case .object(let user)?:
        if let name = ["screen_name", "username", "name", "handle"].lazy.compactMap({ user[$0]?.stringValue }).first {
          return name
        }
      default: continue
      }
    }
    return nil
  }
}
