import Foundation

/// Where the streaming readers (`LineStream`, `JSONArrayScanner`) take their bytes
/// from, a block at a time: a file, or a `.zst` file decompressed as it is read.
protocol ByteSource: AnyObject {
  /// Up to `count` bytes; empty (or nil) at the end.
  func read(upToCount count: Int) throws -> Data?
  func close() throws
}

extension FileHandle: ByteSource {}

extension FileBytes {
  /// The file opened for streaming (the caller closes it), decompressed as it is read when
  /// its name ends in `.zst`; `limit` bounds the bytes on disk.
  static func openStream(_ path: String, limit: Int) -> Result<any ByteSource, IngestError> {
    open(path, limit: limit).map { handle -> any ByteSource in
      ZstdSource.isCompressed(path) ? ZstdSource(handle) as any ByteSource : handle
    }
  }
}
