/// Where a piece of a document came from, so that results can cite it: the PDF page,
/// the section heading, the line in the file, the item (article or post) in a feed or dump.
/// Every field is optional: a plain-text file has lines but no pages, a feed item has
/// an item number but its lines are the feed's.
public struct SourceLocation: Sendable, Hashable {
  /// 1-based page of a PDF.
  public var page: Int?
  /// The heading of the section the text is under.
  public var section: String?
  /// 1-based line in the source file (in a PDF, the line within its page).
  public var line: Int?
  /// 1-based position of the article or post in its feed, JSONL file or dump.
  public var item: Int?
  /// The post's own id in a social dump, when it has one (replies are cited by it).
  public var post: String?

  public init(page: Int? = nil, section: String? = nil, line: Int? = nil, item: Int? = nil, post: String? = nil) {
    self.page = page
    self.section = section
    self.line = line
    self.item = item
    self.post = post
  }

  /// "p. 3, §Risks, line 12", "item 4, post 17-2": the form citations print.
  public var citation: String {
    var parts: [String] = []
    if let page { parts.append("p. \(page)") }
    if let section { parts.append("§\(section)") }
    if let item { parts.append("item \(item)") }
    if let post { parts.append("post \(post)") }
    if let line { parts.append("line \(line)") }
    return parts.joined(separator: ", ")
  }
}
