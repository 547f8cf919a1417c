import Foundation

/// One Redis command as its argument vector, e.g. `["SET", "job:1", <bytes>]`.
/// Arguments are bytes, sent length-prefixed (`redisCommandArgv`), so values may
/// hold NUL bytes or be megabytes long; nothing is ever formatted into a string.
public struct RedisCommand: Sendable, Hashable {
  public var arguments: [[UInt8]]

  public init(_ arguments: [any RedisArgumentConvertible]) {
    self.arguments = arguments.map(\.redisArgument)
  }

  public init(_ name: String, _ arguments: any RedisArgumentConvertible...) {
    self.arguments = [Array(name.utf8)] + arguments.map(\.redisArgument)
  }

  /// The command's name for error messages (`SET`, `EVALSHA`), never its arguments:
  /// those may be passwords (`AUTH`) or megabytes of data.
  public var name: String {
    guard let first = arguments.first, !first.isEmpty, first.count <= 32,
          first.allSatisfy({ (0x21...0x7E).contains($0) }) else { return "(unnamed command)" }
    return String(decoding: first, as: UTF8.self).uppercased()
  }
}

/// A value that can be one argument of a Redis command.
public protocol RedisArgumentConvertible {
  var redisArgument: [UInt8] { get }
}

extension String: RedisArgumentConvertible {
  public var redisArgument: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgumentConvertible {
  public var redisArgument: [UInt8] { Array(utf8) }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
  public var redisArgument: [UInt8] { self }
}

extension ArraySlice: RedisArgumentConvertible where Element == UInt8 {
  public var redisArgument: [UInt8] { Array(self) }
}

extension Data: RedisArgumentConvertible {
  public var redisArgument: [UInt8] { Array(self) }
}

extension Int: RedisArgumentConvertible {
  public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgumentConvertible {
  public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension UInt64: RedisArgumentConvertible {
  public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Double: RedisArgumentConvertible {
  /// Redis parses `inf`/`-inf` and plain decimals; Swift's shortest round-trip form
  /// (`0.1`, `1e-07`) is accepted by `INCRBYFLOAT`, `ZADD` and friends.
  public var redisArgument: [UInt8] {
    if self == .infinity { return Array("+inf".utf8) }
    if self == -.infinity { return Array("-inf".utf8) }
    return Array(String(self).utf8)
  }
}
