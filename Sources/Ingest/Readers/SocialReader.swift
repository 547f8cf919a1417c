import Foundation
import NightdeskSupport

/// Social-media dumps: a JSON array of posts (streamed element by element), an object
/// wrapping one (`posts`, `items`, `data`, `threads`) or a single thread, or JSON Lines
/// of posts. Each top-level post with its replies is one document.
public enum SocialReader {
  /// Keys of a wrapping object that hold the posts.
  static let wrapperKeys = ["posts", "items", "data", "threads", "children"]

  public static func readJSON(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    DocumentSink.collect { readJSON(path, limits: limits, each: $0) }
  }

  /// Streams: each thread goes to `each` as soon as it is read; returns the errors.
  public static func readJSON(_ path: String, limits: InputLimits = InputLimits(), each: (Document) -> Void) -> [IngestError] {
    withoutActuallyEscaping(each) { each in
      var sink = DocumentSink(each)
      streamJSON(path, limits: limits, into: &sink)
      return sink.errors
    }
  }

  private static func streamJSON(_ path: String, limits: InputLimits, into result: inout DocumentSink) {
    let handle: any ByteSource
    switch FileBytes.openStream(path, limit: limits.maxStreamBytes) {
    case .failure(let error): result.errors.append(error); return
    case .success(let opened): handle = opened
    }
    defer { try? handle.close() }
    var scanner = JSONArrayScanner(handle: handle, maxElementBytes: limits.maxItemBytes, maxDepth: JSONArrayScanner.maximumDepth)
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
            return
          }
          add(bytes, item: index, offset: offset, source: path, limits: limits, to: &result)
        }
      }
    } catch let error as JSONArrayScanner.NotAnArray {
      guard error.first == UInt8(ascii: "{") else {
        let what = error.first == nil ? "the file is empty" : "it does not start with [ or {"
        result.errors.append(IngestError(file: path, position: .byte(error.offset), reason: "not a JSON array or object: \(what)"))
        return
      }
      guard !ZstdSource.isCompressed(path) else {
        result.errors.append(IngestError(file: path, position: .byte(error.offset),
          reason: "a compressed dump must hold a JSON array or JSON Lines (a top-level object is read whole)"))
        return
      }
      readObject(path, limits: limits, into: &result)
      return
    } catch let error as JSONArrayScanner.ScanError {
      result.errors.append(IngestError(file: path, position: .byte(error.offset), reason: "invalid JSON: \(error.reason)"))
    } catch {
      result.errors.append(IngestError(file: path, reason: "cannot read it: \(error.localizedDescription)"))
    }
    if result.count == 0, result.errors.isEmpty {
      result.errors.append(IngestError(file: path, reason: "no posts: the array is empty"))
    }
  }

  public static func readJSONL(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    DocumentSink.collect { readJSONL(path, limits: limits, each: $0) }
  }

  /// Streams: each thread goes to `each` as soon as its line is read; returns the errors.
  public static func readJSONL(_ path: String, limits: InputLimits = InputLimits(), each: (Document) -> Void) -> [IngestError] {
    var count = 0
    var errors: [IngestError] = []
    let status = JSONLines.forEach(path, limits: limits, errors: &errors) { value, line, item in
      let thread = SocialThread.document(value, source: path, item: item, line: line.number, maxDepth: limits.maxDepth)
      if let document = thread.document {
        count += 1
        each(document)
      }
      return thread.problems.isEmpty ? nil : thread.problems.joined(separator: "; ")
    }
    if status == .read, count == 0, errors.isEmpty {
      errors.append(IngestError(file: path, reason: "no posts: the file has no JSON lines"))
    }
    return errors
  }

  /// A file whose top level is an object: read whole (so under the document limit).
  static func readObject(_ path: String, limits: InputLimits, into result: inout DocumentSink) {
    let bytes: [UInt8]
    switch FileBytes.read(path, limit: limits.maxDocumentBytes) {
    case .failure(let error):
      result.errors.append(IngestError(file: path, reason: error.reason + " (a top-level object is read whole; give large dumps as an array or JSONL)"))
      return
    case .success(let read): bytes = read
    }
    if let bad = UTF8Text.firstInvalidOffset(bytes) {
      result.errors.append(IngestError(file: path, position: .byte(bad), reason: "invalid UTF-8"))
      return
    }
    let value: JSONValue
    do {
      value = try JSONParser.parse(bytes)
    } catch let error as JSONParseError {
      result.errors.append(IngestError(file: path, position: .byte(error.position),
                                       reason: "invalid JSON at line \(error.line), column \(error.column): \(error.message)"))
      return
    } catch {
      result.errors.append(IngestError(file: path, reason: "\(error)"))
      return
    }
    if let posts = wrapperKeys.lazy.compactMap({ value[$0]?.arrayValue }).first {
      for (index, post) in posts.prefix(limits.maxItems).enumerated() {
        addThread(post, item: index + 1, offset: nil, source: path, limits: limits, to: &result)
      }
      if posts.isEmpty { result.errors.append(IngestError(file: path, reason: "no posts: the list of posts is empty")) }
    } else {
      addThread(value, item: 1, offset: nil, source: path, limits: limits, to: &result)
    }
  }

  private static func add(_ bytes: [UInt8], item: Int, offset: Int, source: String, limits: InputLimits, to result: inout DocumentSink) {
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

  private static func addThread(_ value: JSONValue, item: Int, offset: Int?, source: String, limits: InputLimits, to result: inout DocumentSink) {
    let thread = SocialThread.document(value, source: source, item: item, line: nil, maxDepth: limits.maxDepth)
    if let document = thread.document { result.add(document) }
    for problem in thread.problems {
      result.errors.append(IngestError(file: source, position: .item(item, byte: offset), reason: problem))
    }
  }
}
