import Foundation
import NightdeskSupport

/// The top-level elements of a JSON array file, one at a time, read in blocks: a
/// 100 MB dump costs one element's memory, not the file's. The scanner only finds
/// where each element starts and ends (strings, escapes, nesting); jansson parses
/// the element itself. An element over the size limit is skipped, not buffered.
struct JSONArrayScanner {
  enum Event {
    /// A complete element: its bytes, 1-based index in the array, byte offset.
    case element([UInt8], index: Int, offset: Int)
    case tooLarge(index: Int, offset: Int, length: Int)
  }

  /// Why the file stopped being an array; elements before it were already returned.
  struct ScanError: Error {
    var offset: Int
    var reason: String
  }

  /// The file does not start with `[`; it starts with the byte at `offset`.
  struct NotAnArray: Error {
    var first: UInt8?
    var offset: Int
  }

  /// Nesting the scanner follows: under what `JSONParser` (jansson, recursive) takes, so
  /// a hostile element is refused here before it is parsed. Deep reply threads are cut
  /// later, at the reply limit, keeping their upper posts.
  static let maximumDepth = JSONParser.maximumDepth - 12

  private let handle: any ByteSource
  private let maxElementBytes: Int
  private let maxDepth: Int
  private var block: [UInt8] = []
  private var blockIndex = 0
  private var offset = 0            // file offset of block[blockIndex]
  private var started = false
  private var finished = false
  private var index = 0
  private var expectingElement = true

  init(handle: any ByteSource, maxElementBytes: Int, maxDepth: Int) {
    self.handle = handle
    self.maxElementBytes = maxElementBytes
    self.maxDepth = maxDepth
  }

  /// The next element, nil after the closing `]`; throws `NotAnArray` before the
  /// first element of a file that is no array, `ScanError` where the array breaks.
  mutating func next() throws -> Event? {
    if finished { return nil }
    if !started {
      guard let first = try skipSpace() else { throw NotAnArray(first: nil, offset: offset) }
      guard first == UInt8(ascii: "[") else { throw NotAnArray(first: first, offset: offset) }
      advance()
      started = true
    }
    while true {
      guard let byte = try skipSpace() else {
        throw ScanError(offset: offset, reason: "the array is not closed: the file ends at byte \(offset) (truncated?)")
      }
      switch byte {
      case UInt8(ascii: "]"):
        advance()
        finished = true
        if let trailing = try skipSpace() {
          throw ScanError(offset: offset, reason: "unexpected \(describe(trailing)) after the array's closing ]")
        }
        return nil
      case UInt8(ascii: ","):
        if expectingElement { throw ScanError(offset: offset, reason: "unexpected , where an element should be") }
        expectingElement = true
        advance()
      default:
        if !expectingElement { throw ScanError(offset: offset, reason: "expected , or ] but found \(describe(byte))") }
        expectingElement = false
        index += 1
        return try element()
      }
    }
  }

  /// Reads one element from the current byte; stops before the `,` or `]` after it.
  private mutating func element() throws -> Event {
    let start = offset
    var bytes: [UInt8] = []
    var length = 0
    var depth = 0
    var inString = false
    var escaped = false
    var oversized = false
    func keep(_ byte: UInt8) {
      length += 1
      if oversized { return }
      if length > maxElementBytes {
        oversized = true
        bytes = []
      } else {
        bytes.append(byte)
      }
    }
    while let byte = try peek() {
      if inString {
        keep(byte)
        advance()
        if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
        if !inString, depth == 0 { break }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""):
        inString = true
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        depth += 1
        // jansson would refuse it anyway; the scanner stops counting instead of recursing.
        if depth > maxDepth { throw ScanError(offset: offset, reason: "element \(index) nests deeper than \(maxDepth) levels") }
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        if depth == 0 { return finish(bytes, start: start, length: length, oversized: oversized) }
        depth -= 1
      case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
        if depth == 0 { return finish(bytes, start: start, length: length, oversized: oversized) }
      default:
        break
      }
      keep(byte)
      advance()
      if depth == 0, byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { break }
    }
    if depth > 0 || inString {
      throw ScanError(offset: offset, reason: "element \(index) starting at byte \(start) is not complete: the file ends at byte \(offset) (truncated?)")
    }
    return finish(bytes, start: start, length: length, oversized: oversized)
  }

  private func finish(_ bytes: [UInt8], start: Int, length: Int, oversized: Bool) -> Event {
    oversized ? .tooLarge(index: index, offset: start, length: length) : .element(bytes, index: index, offset: start)
  }

  private func describe(_ byte: UInt8) -> String {
    byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02X", byte)
  }

  // MARK: Bytes

  private mutating func peek() throws -> UInt8? {
    if blockIndex == block.count {
      let data = try handle.read(upToCount: 1 << 16) ?? Data()
      if data.isEmpty { return nil }
      block = [UInt8](data)
      blockIndex = 0
    }
    return block[blockIndex]
  }

  private mutating func advance() {
    blockIndex += 1
    offset += 1
  }

  /// The next byte that is not JSON whitespace (nor a UTF-8 byte-order mark), not consumed.
  private mutating func skipSpace() throws -> UInt8? {
    while let byte = try peek() {
      switch byte {
      case 0x20, 0x0A, 0x0D, 0x09: advance()
      case 0xEF where offset == 0:
        advance(); _ = try peek(); advance(); _ = try peek(); advance()
      default: return byte
      }
    }
    return nil
  }
}
