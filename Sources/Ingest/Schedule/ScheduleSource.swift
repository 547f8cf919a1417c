import Foundation

/// Where a scheduled entry finds its articles: a folder whose files (those matching
/// `pattern`, a shell glob) are read each pass, so new files and articles appended to
/// old ones are picked up; or one feed file (news JSONL, RSS or Atom) that is rewritten
/// or appended to between passes. Articles seen before are skipped by the scheduler.
public enum ScheduleSource: Sendable, Equatable, CustomStringConvertible {
  case folder(path: String, pattern: String?)
  case feed(path: String)

  public var description: String {
    switch self {
    case .folder(let path, let pattern?): return "folder \(path) (\(pattern))"
    case .folder(let path, nil): return "folder \(path)"
    case .feed(let path): return "feed \(path)"
    }
  }

  /// The files to read now, in name order: the folder's regular files that match the
  /// pattern, are not hidden and are of a kind `family` reads; or the feed file.
  public func files(family: InputFamily) -> [String] {
    switch self {
    case .feed(let path):
      return [path]
    case .folder(let path, let pattern):
      let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
      return names.sorted().filter { name in
        guard !name.hasPrefix(".") else { return false }
        if let pattern, fnmatch(pattern, name, 0) != 0 { return false }
        let full = (path as NSString).appendingPathComponent(name)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else { return false }
        return InputKind.detect(path: name, family: family).map(family.kinds.contains) ?? false
      }.map { (path as NSString).appendingPathComponent($0) }
    }
  }

  /// Reads every article of every file, one at a time (news JSONL in bounded memory);
  /// `each` returns false to stop early (a stop was asked for). Returns the read errors.
  public func readArticles(family: InputFamily, reader: DocumentReader = DocumentReader(),
                           each: (Document) -> Bool) -> [IngestError] {
    var errors: [IngestError] = []
    var going = true
    for file in files(family: family) where going {
      errors += reader.read(file, family: family) { document in
        if going { going = each(document) }
      }
    }
    return errors
  }
}
