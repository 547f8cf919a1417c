import NightdeskRedis

/// A queue operation that could not be done, and why, in words a desk can act on.
public struct QueueError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    case invalidArgument
    case notFound
    /// A key already names something different (a keyed submission with other contents).
    case conflict
    /// The Redis could lose queue keys (an evicting `maxmemory-policy`).
    case unsafeRedis
    /// Redis answered something the queue did not expect (a script's reply shape).
    case protocolError
    /// Redis refused this connection's user the queue's keys or commands (ACL, `NOPERM`):
    /// another desk's queue, or a role without the right.
    case permissionDenied
    /// A desk's limit refused the submission (`DeskLimits`).
    case limitExceeded
    case redis
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public init(_ error: RedisError) {
    self.init(.redis, error.description)
  }

  public var description: String { message }
}
