import Foundation

/// The lines of a file read in blocks, so memory stays bounded whatever the file's
/// size: a line longer than the item limit is skipped (reported, not buffered).
struct LineStream {
  /// One line without its `\n` (and `\r`), its 1-based number and its starting byte offset.
  struct Line {
    var bytes: [UInt8]
    var number: Int
    var offset: Int
  }

  enum Event {
    case line(Line)
    /// A line over the limit: its number, offset and full length.
    case tooLong(number: Int, offset: Int, length: Int)
  }

  private let handle: any ByteSource
  private let maxLineBytes: Int
  private var buffer: [UInt8] = []
  private var bufferStart = 0        // index in `buffer` where the current line begins
  private var fileOffset = 0         // file offset of buffer[0]
  private var lineNumber = 0
  private var skipping: (number: Int, offset: Int, length: Int)?
  private var atEnd = false
  static let blockSize = 1 << 16

  init(handle: any ByteSource, maxLineBytes: Int) {
    self.handle = handle
    self.maxLineBytes = maxLineBytes
  }

  /// The next line or overlong line, nil at the end of the file; throws on a read error.
  mutating func next() throws -> Event? {
    while true {
      if let newline = buffer[bufferStart...].firstIndex(of: 0x0A) {
        let event = finishLine(upTo: newline)
        bufferStart = newline + 1
        if let event { return event }
        continue
      }
      if atEnd {
        guard bufferStart < buffer.count || skipping != nil else { return nil }
        let event = finishLine(upTo: buffer.count)
        bufferStart = buffer.count
        if let event { return event }
        return nil
      }
      // Drop what has been consumed, then read a block.
      if bufferStart > 0 {
        fileOffset += bufferStart
        buffer.removeFirst(bufferStart)
        bufferStart = 0
      }
      if skipping != nil || buffer.count > maxLineBytes {
        // The line is too long: remember where it began and stop keeping its bytes.
        let start = skipping ?? (number: lineNumber + 1, offset: fileOffset, length: 0)
        skipping = (start.number, start.offset, start.length + buffer.count)
        fileOffset += buffer.count
        buffer.removeAll(keepingCapacity: true)
      }
      let data = try handle.read(upToCount: Self.blockSize) ?? Data()
      if data.isEmpty { atEnd = true } else { buffer.append(contentsOf: data) }
    }
  }

  /// The event for the line that ends at `end` in the buffer (exclusive).
  private mutating func finishLine(upTo end: Int) -> Event? {
    lineNumber += 1
    if let skipped = skipping {
      skipping = nil
      return .tooLong(number: skipped.number, offset: skipped.offset, length: skipped.length + (end - bufferStart))
    }
    var stop = end
    if stop > bufferStart, buffer[stop - 1] == 0x0D { stop -= 1 }
    if end - bufferStart > maxLineBytes {
      return .tooLong(number: lineNumber, offset: fileOffset + bufferStart, length: end - bufferStart)
    }
    return .line(Line(bytes: Array(buffer[bufferStart..<stop]), number: lineNumber, offset: fileOffset + bufferStart))
  }
}
