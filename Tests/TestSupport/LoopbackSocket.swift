import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 on a port the system chose (port 0, read back).
enum LoopbackSocket {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// The open socket and its port; the caller closes it.
  static func bound() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
      }
    }
    guard bound else {
      let error = errno
      close(fd)
      throw Failure(description: "cannot bind a TCP port on 127.0.0.1: errno \(error)")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }
}
