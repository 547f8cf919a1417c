/// An archive that could not be opened, read or written, naming the file and what to do.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
