/// Batch and job ids. A batch id is `b` + the submission time in base 36 + random
/// letters (sortable by time, unguessable enough to not collide); a job id is its
/// batch id, a dot and its position in the batch, so `status X` knows from the dot
/// whether X names a job or a batch.
public enum QueueIDs {
  public static func newBatchID(nowMilliseconds: Int64, using generator: inout some RandomNumberGenerator) -> String {
    let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
    var suffix = ""
    for _ in 0..<6 { suffix.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]) }
    return "b" + String(nowMilliseconds, radix: 36) + suffix
  }


  public static func isJobID(_ id: String) -> Bool { id.contains(".") }

  /// Ids reach Redis keys and Lua; keep them to a safe alphabet and length.
  public static func validate(_ id: String, what: String) throws(QueueError) {
    guard !id.isEmpty, id.utf8.count <= 128, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
    else {
      throw QueueError(.invalidArgument, "\(what) '\(id.prefix(140))' is not a valid id (letters, digits, '-', '_', '.')")
    }
  }
}
