import CZstd
import Foundation

/// A `.zst` file decompressed as it is read (Reddit-style dumps), in bounded memory and
/// with no temporary file: one zstd stream context, one block of compressed input and
/// the reader's own block of output at a time. Several frames one after another (as
/// `zstd` writes for concatenated inputs) read as one stream.
final class ZstdSource: ByteSource {
  /// Corrupt or truncated compressed data: where in the `.zst` file, and zstd's reason.
  struct Corrupt: Error, LocalizedError, CustomStringConvertible {
    /// Bytes of the compressed file consumed before the problem.
    var compressedOffset: Int
    /// Bytes decompressed before it.
    var decompressedOffset: Int
    var reason: String

    var description: String {
      "corrupt zstd data at compressed byte \(compressedOffset) (after \(decompressedOffset) bytes out): \(reason)"
    }
    var errorDescription: String? { description }
  }

  /// Dumps made with `zstd --long=31` (as Reddit's are) need a window of up to 2 GiB;
  /// the memory is the window the frame's header declares, never more than this.
  static let maxWindowLog: Int32 = 31

  private let file: FileHandle
  private let context: OpaquePointer
  private var input: [UInt8] = []
  private var inputPosition = 0
  private var compressedOffset = 0   // file offset of input[0]
  private var decompressed = 0
  /// zstd's hint after the last call: 0 when a frame has just ended.
  private var frameOpen = false
  private var inputEnded = false

  static func isCompressed(_ path: String) -> Bool { path.lowercased().hasSuffix(".zst") }

  init(_ file: FileHandle) {
    self.file = file
    // Allocation failure is out of memory, which no reader can recover from.
    guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx: out of memory") }
    self.context = context
    ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.maxWindowLog)
  }

  deinit { ZSTD_freeDCtx(context) }

  func close() throws { try file.close() }

  func read(upToCount count: Int) throws -> Data? {
    var output = [UInt8](repeating: 0, count: max(1, count))
    var produced = 0
    while produced == 0 {
      if inputPosition == input.count {
        if inputEnded { break }
        compressedOffset += input.count
        input = [UInt8](try file.read(upToCount: 1 << 16) ?? Data())
        inputPosition = 0
        if input.isEmpty {
          inputEnded = true
          if frameOpen {
            throw Corrupt(compressedOffset: compressedOffset, decompressedOffset: decompressed,
                          reason: "the file ends inside a frame (truncated)")
          }
          break
        }
      }
      let hint = try input.withUnsafeBytes { source in
        try output.withUnsafeMutableBytes { target in
          var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: inputPosition)
          var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
          let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
          if ZSTD_isError(result) != 0 {
            throw Corrupt(compressedOffset: compressedOffset + inputPosition, decompressedOffset: decompressed,
                          reason: String(cString: ZSTD_getErrorName(result)))
          }
          inputPosition = inBuffer.pos
          produced = outBuffer.pos
          return result
        }
      }
      frameOpen = hint != 0
      decompressed += produced
    }
    return Data(output[0..<produced])
  }
}
