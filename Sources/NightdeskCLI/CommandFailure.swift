import ArgumentParser
import Foundation

/// A failure found while a command runs (a missing file, an unknown job, bad
/// content): printed as one `Error: ...` line, without the usage text that
/// argument-parser adds to a ValidationError, and exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) { self.description = description }

  /// What an error thrown by `run()` looks like at the command line. Parsing has
  /// succeeded by then, so a ValidationError's usage text would only be the root
  /// command's and mislead; Foundation's file errors print as a dictionary dump
  /// unless reduced to their message.
  static func atCommandLine(_ error: any Error) -> any Error {
    switch error {
    case let validation as ValidationError:
      return CommandFailure(validation.message)
    case let cocoa as CocoaError:
      let path = cocoa.filePath ?? cocoa.url?.path
      return CommandFailure((path.map { "\($0): " } ?? "") + Self.reason(cocoa))
    default:
      return error
    }
  }

  /// The POSIX reason under a Foundation file error when there is one ("No such
  /// file or directory" says more than "The file doesn't exist.").
  private static func reason(_ error: CocoaError) -> String {
    if let posix = error.underlying as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
    return error.localizedDescription
  }
}

extension CocoaError {
  fileprivate var underlying: (any Error)? { userInfo[NSUnderlyingErrorKey] as? any Error }
}

/// Reads a file named by a command-line option, with a one-line error naming the
/// option and the path when it cannot (missing, a folder, unreadable).
/// `checkSize` sees the size first, so a wrong path to a huge file fails fast.
func readFile(_ path: String, option: String, checkSize: (Int) throws -> Void = { _ in }) throws -> Data {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw CommandFailure("\(option) \(path): no such file")
  }
  guard !isDirectory.boolValue else { throw CommandFailure("\(option) \(path): is a folder; give a file") }
  let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
  try checkSize(size)
  guard let data = FileManager.default.contents(atPath: path) else {
    throw CommandFailure("\(option) \(path): cannot read it (check its permissions)")
  }
  return data
}
