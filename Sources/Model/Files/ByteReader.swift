/// A little-endian cursor over untrusted bytes (a model file's header). Every
/// read checks that the bytes exist first and throws `.truncated` otherwise, so
/// parsers can be written as straight-line code without their own bounds checks.
public struct ByteReader {
  public let bytes: UnsafeRawBufferPointer
  /// Path of the file, for error messages.
  public let file: String
  public private(set) var offset: Int

  public init(bytes: UnsafeRawBufferPointer, file: String, offset: Int = 0) {
    self.bytes = bytes
    self.file = file
    self.offset = offset
  }

  public var remaining: Int { max(0, bytes.count - offset) }
  public var isAtEnd: Bool { remaining == 0 }

  /// Checks that `count` bytes are available at the cursor and returns their start.
  @inline(__always)
  mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws -> Int {
    guard count >= 0, offset >= 0, count <= remaining else {
      throw ModelFileError(.truncated, file: file,
                           "file ends while reading \(what()): needs \(count) bytes at offset \(offset), "
                           + "only \(remaining) remain (file size \(bytes.count)); the file is truncated or corrupt")
    }
    let start = offset
    offset += count
    return start
  }

  @inline(__always)
  mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
    let start = try take(MemoryLayout<T>.size, what())
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: T.self))
  }

  public mutating func u8(_ what: @autoclosure () -> String = "a byte") throws -> UInt8 { try load(UInt8.self, what()) }
  public mutating func i8(_ what: @autoclosure () -> String = "an int8") throws -> Int8 { try load(Int8.self, what()) }
  public mutating func u16(_ what: @autoclosure () -> String = "a uint16") throws -> UInt16 { try load(UInt16.self, what()) }
  public mutating func i16(_ what: @autoclosure () -> String = "an int16") throws -> Int16 { try load(Int16.self, what()) }
  public mutating func u32(_ what: @autoclosure () -> String = "a uint32") throws -> UInt32 { try load(UInt32.self, what()) }
  public mutating func i32(_ what: @autoclosure () -> String = "an int32") throws -> Int32 { try load(Int32.self, what()) }
  public mutating func u64(_ what: @autoclosure () -> String = "a uint64") throws -> UInt64 { try load(UInt64.self, what()) }
  public mutating func i64(_ what: @autoclosure () -> String = "an int64") throws -> Int64 { try load(Int64.self, what()) }

  public mutating func f32(_ what: @autoclosure () -> String = "a float32") throws -> Float {
    Float(bitPattern: try load(UInt32.self, what()))
  }

  public mutating func f64(_ what: @autoclosure () -> String = "a float64") throws -> Double {
    Double(bitPattern: try load(UInt64.self, what()))
  }

  /// The next `count` bytes, not copied.
  public mutating func bytes(_ count: Int, _ what: @autoclosure () -> String = "bytes") throws -> UnsafeRawBufferPointer {
    let start = try take(count, what())
    return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
  }

  /// `byteCount` bytes of UTF-8 text. Throws `.malformed` above `maxLength` bytes
  /// or on invalid UTF-8, `.truncated` when the bytes are not there.
  public mutating func string(byteCount: UInt64, maxLength: Int,
                              _ what: @autoclosure () -> String = "a string") throws -> String {
    guard byteCount <= UInt64(maxLength) else {
      throw ModelFileError(.malformed, file: file,
                           "\(what()) at offset \(offset) claims \(byteCount) bytes; at most \(maxLength) are allowed")
    }
    let start = offset
    let raw = try bytes(Int(byteCount), what())
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw ModelFileError(.malformed, file: file, "\(what()) at offset \(start) is not valid UTF-8")
    }
    return text
  }

  public mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "bytes") throws {
    _ = try take(count, what())
  }

  /// Moves the cursor to `offset` (which may be the end, not beyond).
  public mutating func seek(to newOffset: Int) throws {
    guard newOffset >= 0, newOffset <= bytes.count else {
      throw ModelFileError(.truncated, file: file,
                           "offset \(newOffset) is past the end of the file (\(bytes.count) bytes)")
    }
    offset = newOffset
  }
}
