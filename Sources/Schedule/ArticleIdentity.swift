import NightdeskIngest
import NightdeskQueue

/// Who an article is, for the scheduler: its URL (when the source gives one) and a
/// digest of its content. An article is seen when either was seen, so a story re-sent
/// under the same URL with edits and the same story under a second URL both count as
/// seen. The submission key is made from the URL when there is one, else from the
/// content, so a retry of the same article after a crash queues nothing new.
struct ArticleIdentity: Equatable {
  var url: String?
  /// 32 hex digits: FNV-1a from two starting points over the title and text (no
  /// adversary is in the loop; a collision could only make one article look seen).
  var content: String

  init(_ document: Document) {
    let url = document.metadata["url"]?.trimmingCharacters(in: .whitespacesAndNewlines)
    self.url = url?.isEmpty == false ? url : nil
    let text = (document.title ?? "") + "\n" + document.text
    content = PrefixHash.digest(text) + PrefixHash.digest("content\n" + text)
  }

  var urlDigest: String? { url.map { PrefixHash.digest($0) + PrefixHash.digest("url\n" + $0) } }

  /// The members of the entry's seen set this article adds (and is looked up by).
  var seenMembers: [String] {
    (urlDigest.map { ["url:" + $0] } ?? []) + ["content:" + content]
  }

  /// The submission key of the article's jobs under `entry`: `<key>#<n>` is each job's
  /// idempotency key, and the group is named after it.
  func submissionKey(entry: String) -> String {
    "sched." + entry + "." + (urlDigest ?? content)
  }
}
