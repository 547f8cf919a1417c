import Foundation
import Logging
import NightdeskSupport

/// The project's swift-log handler: one line per message on standard error, as text
/// (`2026-12-07T13:56:14.123Z info worker=w1 job=B.3 message`) or as a JSON object
/// (`{"time", "level", "message", ...metadata}`) written by the project's own JSON writer.
///
/// Metadata values that look like credentials never reach the line: a `redis://`
/// URL's password is replaced (see `LogRedaction`).
public struct LineLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level
  public let format: LogFormat
  private let label: String
  private let sink: LogSink

  public init(label: String, format: LogFormat, level: Logger.Level, sink: LogSink = .standardError) {
    self.label = label
    self.format = format
    self.logLevel = level
    self.sink = sink
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    let time = LineLogHandler.timestamp(Date())
    let message = LogRedaction.redact("\(event.message)")
    sink.write(format == .json
      ? jsonLine(time: time, level: event.level, message: message, metadata: merged)
      : textLine(time: time, level: event.level, message: message, metadata: merged))
  }

  private func jsonLine(time: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
    var object = JSONObject()
    object["time"] = .string(time)
    object["level"] = .string(level.rawValue)
    object["message"] = .string(message)
    object["logger"] = .string(label)
    for key in metadata.keys.sorted() where object[key] == nil {
      object[key] = Self.json(metadata[key]!)
    }
    return JSONWriter.string(.object(object)) + "\n"
  }

  private func textLine(time: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
    var line = "\(time) \(level.rawValue)"
    for key in metadata.keys.sorted() { line += " \(key)=\(Self.text(metadata[key]!))" }
    return line + " " + message + "\n"
  }

  /// Numbers stay numbers in JSON (metadata carries them as `.stringConvertible`).
  private static func json(_ value: Logger.MetadataValue) -> JSONValue {
    switch value {
    case .string(let text): return .string(LogRedaction.redact(text))
    case .stringConvertible(let convertible):
      if let int = convertible as? Int { return .int(Int64(int)) }
      if let int = convertible as? Int64 { return .int(int) }
      if let double = convertible as? Double { return .double(double) }
      if let bool = convertible as? Bool { return .bool(bool) }
      return .string(LogRedaction.redact(convertible.description))
    case .array(let items): return .array(items.map(json))
    case .dictionary(let entries):
      var object = JSONObject()
      for key in entries.keys.sorted() { object[key] = json(entries[key]!) }
      return .object(object)
    }
  }

  private static func text(_ value: Logger.MetadataValue) -> String {
    let plain = LogRedaction.redact(value.description)
    return plain.contains(" ") || plain.isEmpty ? "\"\(plain)\"" : plain
  }

  /// ISO 8601 in UTC with milliseconds.
  static func timestamp(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
  }
}

/// Where log lines go: a file handle, written whole line by line under a lock, so lines
/// of several threads never interleave.
public final class LogSink: Sendable {
  private let handle: LockedValue<FileHandle>

  public init(_ handle: FileHandle) { self.handle = LockedValue(handle) }

  public static let standardError = LogSink(.standardError)

  func write(_ line: String) {
    handle.withLock { $0.write(Data(line.utf8)) }
  }
}
