import Foundation

/// Reading a whole input file under a size limit, with errors that name it.
enum FileBytes {
  /// The file's bytes, or an error when it is missing, a folder, unreadable or over `limit`.
  static func read(_ path: String, limit: Int) -> Result<[UInt8], IngestError> {
    open(path, limit: limit).flatMap { handle in
      defer { try? handle.close() }
      do {
        // One byte beyond the limit tells a file that grew while being read.
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else {
          return .failure(IngestError(file: path, reason: "the file has more than \(limit) bytes"))
        }
        return .success([UInt8](data))
      } catch {
        return .failure(IngestError(file: path, reason: "cannot read it: \(error.localizedDescription)"))
      }
    }
  }

  /// The file opened for reading (the caller closes it) when it is a regular file of at
  /// most `limit` bytes, else why not.
  static func open(_ path: String, limit: Int) -> Result<FileHandle, IngestError> {
    size(of: path).flatMap { size in
      guard size <= limit else {
        return .failure(IngestError(file: path, reason: "the file has \(size) bytes; at most \(limit) are read"))
      }
      guard let handle = FileHandle(forReadingAtPath: path) else {
        return .failure(IngestError(file: path, reason: "cannot open it (check its permissions)"))
      }
      return .success(handle)
    }
  }

  /// The size of a regular file, or why it is not one.
  static func size(of path: String) -> Result<Int, IngestError> {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return .failure(IngestError(file: path, reason: "no such file"))
    }
    guard !isDirectory.boolValue else { return .failure(IngestError(file: path, reason: "is a folder; give a file")) }
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      let size = (attributes[.size] as? NSNumber)?.intValue
    else { return .failure(IngestError(file: path, reason: "cannot read its size")) }
    return .success(size)
  }

  /// The text of a whole file: bounded, UTF-8, with the offset of the first bad byte.
  static func readText(_ path: String, limit: Int) -> Result<String, IngestError> {
    read(path, limit: limit).flatMap { bytes in
      UTF8Text.decode(bytes).mapError { IngestError(file: path, position: .byte($0.offset), reason: "invalid UTF-8") }
    }
  }
}
