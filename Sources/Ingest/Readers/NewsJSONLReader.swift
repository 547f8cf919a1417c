import Foundation
import NightdeskSupport

/// News as JSON Lines: one article object per line, read line by line (bounded memory).
/// A bad line is reported with its number and byte offset and the rest are read.
public enum NewsJSONLReader {
  public static func read(_ path: String, limits: InputLimits = InputLimits()) -> ReadResult {
    DocumentSink.collect { read(path, limits: limits, each: $0) }
  }

  /// Streams: each article goes to `each` as soon as its line is read; returns the errors.
  public static func read(_ path: String, limits: InputLimits = InputLimits(), each: (Document) -> Void) -> [IngestError] {
    var count = 0
    var errors: [IngestError] = []
    let status = JSONLines.forEach(path, limits: limits, errors: &errors) { value, line, item in
      switch NewsArticle.from(value) {
      case .success(let article):
        count += 1
        each(article.document(source: path, item: item, line: line.number))
        return nil
      case .failure(let problem):
        return problem.reason
      }
    }
    if status == .read, count == 0, errors.isEmpty {
      errors.append(IngestError(file: path, reason: "no articles: the file has no JSON lines"))
    }
    return errors
  }
}

/// The JSON values of a JSONL file, one per non-blank line, with per-line errors.
enum JSONLines {
  enum Status { case read, failed }

  /// Calls `body` with each line's value, its line and its 1-based item number;
  /// `body` returns why the value is not a usable item, or nil.
  static func forEach(
    _ path: String, limits: InputLimits, errors: inout [IngestError],
    _ body: (JSONValue, LineStream.Line, Int) -> String?
  ) -> Status {
    let handle: any ByteSource
    switch FileBytes.openStream(path, limit: limits.maxStreamBytes) {
    case .failure(let error): errors.append(error); return .failed
    case .success(let opened): handle = opened
    }
    defer { try? handle.close() }
    var lines = LineStream(handle: handle, maxLineBytes: limits.maxItemBytes)
    var items = 0
    do {
      while let event = try lines.next() {
        switch event {
        case .tooLong(let number, let offset, let length):
          errors.append(IngestError(file: path, position: .line(number, byte: offset),
                                    reason: "the line has \(length) bytes; at most \(limits.maxItemBytes) are read"))
        case .line(let line):
          if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
          items += 1
          guard items <= limits.maxItems else {
            errors.append(IngestError(file: path, position: .line(line.number, byte: line.offset),
                                      reason: "more than \(limits.maxItems) items; the rest are not read"))
            return .read
          }
          if let bad = UTF8Text.firstInvalidOffset(line.bytes) {
            errors.append(IngestError(file: path, position: .byte(line.offset + bad), reason: "invalid UTF-8 on line \(line.number)"))
            continue
          }
          do {
            if let problem = body(try JSONParser.parse(line.bytes), line, items) {
              errors.append(IngestError(file: path, position: .line(line.number, byte: line.offset), reason: problem))
            }
          } catch let error as JSONParseError {
            errors.append(IngestError(file: path, position: .line(line.number, byte: line.offset),
                                      reason: "invalid JSON at column \(error.column) (byte \(line.offset + error.position)): \(error.message)"))
          } catch {
            errors.append(IngestError(file: path, position: .line(line.number, byte: line.offset), reason: "\(error)"))
          }
        }
      }
    } catch {
      errors.append(IngestError(file: path, reason: "cannot read it: \(error.localizedDescription)"))
      return .failed
    }
    return .read
  }
}
