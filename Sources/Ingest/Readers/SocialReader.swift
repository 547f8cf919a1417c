import Foundation
import NightdeskSupport

/// Social-media dumps: a JSON array of posts (streamed element by element), an object
/// wrapping one (`posts`, `items`, `data`, `threads`) or a single thread, or JSON Lines
/// of posts. Each top-level post with its replies is one document.
public enum SocialReader {
  /// Keys of a wrapping object that hold the posts.
  static let wrapperKeys = ["posts", "items", "data", "threads", "children"]

  public static func readJSON(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    let handle: FileHandle
    switch FileBytes.open(path, limit: limits.maxStreamBytes) {
    case .failure(let error): return .failure(error)
    case .success(let opened): handle = opened
    }
    defer { try? handle.close() }
    var scanner = JSONArrayScanner(handle: handle, maxElementBytes: limits.maxItemBytes, maxDepth: JSONArrayScanner.maximumDepth)
    var result = ReadResult()
    do {
      while let event = try scanner.next() {
        switch event {
        case .tooLarge(let index, let offset, let length):
          result.errors.append(IngestError(file: path, position: .item(index, byte: offset),
                                           reason: "the post has \(length) bytes; at most \(limits.maxItemBytes) are read"))
        case .element(let bytes, let index, let offset):
          guard index <= limits.maxItems else {
            result.errors.append(IngestError(file: path, position: .item(index, byte: offset),
                                             reason: "more than \(limits.maxItems) posts; the rest are not read"))
            return result
          }
          add(bytes, item: index, offset: offset, source: path, limits: limits, to: &result)
        }
      }
    } catch let error as JSONArrayScanner.NotAnArray {
      guard error.first == UInt8(ascii: "{") else {
        let what = error.first == nil ? "the file is empty" : "it does not start with [ or {"
        return .failure(IngestError(file: path, position: .byte(error.offset), reason: "not a JSON array or object: \(what)"))
      }
      return readObject(path, limits: limits)
    } catch let error as JSONArrayScanner.ScanError {
      result.errors.append(IngestError(file: path, position: .byte(error.offset), reason: "invalid JSON: \(error.reason)"))
    } catch {
      result.errors.append(IngestError(file: path, reason: "cannot read it: \(error.localizedDescription)"))
    }
    if result.documents.isEmpty, result.errors.isEmpty {
      result.errors.append(IngestError(file: path, reason: "no posts: the array is empty"))
    }
    return result
  }

  public static func readJSONL(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    var documents: [Document] = []
    var errors: [IngestError] = []
    let status = JSONLines.forEach(path, limits: limits, errors: &errors) { value, line, item in
      let thread = SocialThread.document(value, source: path, item: item, line: line.number, maxDepth: limits.maxDepth)
      if let document = thread.document { documents.append(document) }
      return thread.problems.isEmpty ? nil : thread.problems.joined(separator: "; ")
    }
    if status == .read, documents.isEmpty, errors.isEmpty {
      errors.append(IngestError(file: path, reason: "no posts: the file has no JSON lines"))
    }
    return ReadResult(documents: documents, errors: errors)
  }

  /// A file whose top level is an object: read whole (so under the document limit).
  static func readObject(_ path: String, limits: InputLimits) -> ReadResult {
    let bytes: [UInt8]
    switch FileBytes.read(path, limit: limits.maxDocumentBytes) {
    case .failure(let error):
      return .failure(IngestError(file: path, reason: error.reason + " (a top-level object is read whole; give large dumps as an array or JSONL)"))
    case .success(let read): bytes = read
    }
    if let bad = UTF8Text.firstInvalidOffset(bytes) {
      return .failure(IngestError(file: path, position: .byte(bad), reason: "invalid UTF-8"))
    }
    let value: JSONValue
    do {
      value = try JSONParser.parse(bytes)
    } catch let error as JSONParseError {
      return .failure(IngestError(file: path, position: .byte(error.position),
                                  reason: "invalid JSON at line \(error.line), column \(error.column): \(error.message)"))
    } catch {
      return .failure(IngestError(file: path, reason: "\(error)"))
    }
    var result = ReadResult()
    if let posts = wrapperKeys.lazy.compactMap({ value[$0]?.arrayValue }).first {
      for (index, post) in posts.prefix(limits.maxItems).enumerated() {
        addThread(post, item: index + 1, offset: nil, source: path, limits: limits, to: &result)
      }
      if posts.isEmpty { result.errors.append(IngestError(file: path, reason: "no posts: the list of posts is empty")) }
    } else {
      addThread(value, item: 1, offset: nil, source: path, limits: limits, to: &result)
    }
    return result
  }

  private static func add(_ bytes: [UInt8], item: Int, offset: Int, source: String, limits: InputLimits, to result: inout ReadResult) {
    if let bad = UTF8Text.firstInvalidOffset(bytes) {
      result.errors.append(IngestError(file: source, position: .byte(offset + bad), reason: "invalid UTF-8 in post \(item)"))
      return
    }
    do {
      addThread(try JSONParser.parse(bytes), item: item, offset: offset, source: source, limits: limits, to: &result)
    } catch let error as JSONParseError {
      result.errors.append(IngestError(file: source, position: .item(item, byte: offset),
                                       reason: "invalid JSON at byte \(offset + error.position): \(error.message)"))
    } catch {
      result.errors.append(IngestError(file: source, position: .item(item, byte: offset), reason: "\(error)"))
    }
  }

  private static func addThread(_ value: JSONValue, item: Int, offset: Int?, source: String, limits: InputLimits, to result: inout ReadResult) {
    let thread = SocialThread.document(value, source: source, item: item, line: nil, maxDepth: limits.maxDepth)
    if let document = thread.document { result.documents.append(document) }
    for problem in thread.problems {
      result.errors.append(IngestError(file: source, position: .item(item, byte: offset), reason: problem))
    }
  }
}
