import Foundation
import NightdeskSupport
#if canImport(Glibc)
import Glibc
#endif

/// A listener on 127.0.0.1 that takes HTTP requests on a thread of its own, answers each
/// `200 OK` and keeps their request lines and bodies: the receiving end of a webhook in
/// a test. Stops when deallocated.
public final class HTTPRequestRecorder: @unchecked Sendable {
  // @unchecked: `requests` is a LockedValue; `fd` is set once in init and closed in deinit.
  public struct Request: Sendable {
    public var line: String
    public var body: String
  }

  public let port: Int
  private let fd: Int32
  private let received = LockedValue<[Request]>([])

  public init() throws {
    let (fd, port) = try LoopbackSocket.bound()
    guard listen(fd, 8) == 0 else {
      close(fd)
      throw PlainHTTP.Failure(description: "cannot listen on 127.0.0.1:\(port): errno \(errno)")
    }
    self.fd = fd
    self.port = port
    let (listener, received) = (fd, received)
    Thread.detachNewThread {
      while true {
        let client = accept(listener, nil, nil)
        if client < 0 { return }  // closed
        if let request = Self.read(client) { received.withLock { $0.append(request) } }
        let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = send(client, answer, answer.count, 0)
        close(client)
      }
    }
  }

  deinit {
    shutdown(fd, Int32(SHUT_RDWR))
    close(fd)
  }

  public var requests: [Request] { received.current }

  private static func read(_ client: Int32) -> Request? {
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let text = String(decoding: bytes, as: UTF8.self)
      if let split = text.range(of: "\r\n\r\n") {
        let header = text[..<split.lowerBound]
        let length = header.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
          .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let body = text[split.upperBound...]
        if body.utf8.count >= length {
          return Request(line: String(header.split(separator: "\r\n").first ?? ""), body: String(body))
        }
      }
      let count = recv(client, &chunk, chunk.count, 0)
      if count <= 0 { return nil }
      bytes += chunk[0..<count]
    }
  }
}
