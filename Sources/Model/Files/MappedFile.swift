import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model file mapped read-only into memory: weights are read in place, never
/// copied wholesale into RAM. Every access by offset goes through `slice`, which
/// checks the range with overflow-safe arithmetic, so a corrupt header can make
/// the loader throw but never read outside the mapping. Unmapped on deinit.
///
/// `@unchecked Sendable`: the mapping is PROT_READ and never changes after init;
/// the only mutation (munmap) happens in deinit, when no other reference exists.
public final class MappedFile: @unchecked Sendable {
  public let url: URL
  /// The whole file; empty for an empty file.
  public let bytes: UnsafeRawBufferPointer

  public var path: String { url.path }
  public var count: Int { bytes.count }

  public init(url: URL) throws {
    self.url = url
    let path = url.path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ModelFileError(.unreadable, file: path, "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw ModelFileError(.unreadable, file: path, "cannot stat: \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw ModelFileError(.unreadable, file: path, "not a regular file")
    }
    let size = Int(info.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw ModelFileError(.unreadable, file: path,
                           "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  deinit {
    if let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }
  }

  /// `count` bytes starting at `offset`, or a `.outOfBounds` error naming `what`
  /// (e.g. the tensor) when the range is negative, overflows or passes the end.
  public func slice(offset: Int, count: Int, tensor: String? = nil) throws -> UnsafeRawBufferPointer {
    guard let range = MappedFile.checkedRange(offset: offset, count: count, limit: bytes.count) else {
      throw ModelFileError(.outOfBounds, file: path, tensor: tensor,
                           "needs bytes [\(offset), \(offset) + \(count)) but the file has \(bytes.count) bytes")
    }
    return UnsafeRawBufferPointer(rebasing: bytes[range])
  }

  /// A little-endian cursor over the whole file, starting at `offset`.
  public func reader(at offset: Int = 0) -> ByteReader {
    ByteReader(bytes: bytes, file: path, offset: offset)
  }

  /// `offset ..< offset + count` when it lies within `0 ..< limit`, computed without overflow.
  static func checkedRange(offset: Int, count: Int, limit: Int) -> Range<Int>? {
    guard offset >= 0, count >= 0, offset <= limit else { return nil }
    let (end, overflow) = offset.addingReportingOverflow(count)
    guard !overflow, end <= limit else { return nil }
    return offset..<end
  }
}
