import Foundation
import NightdeskSupport

/// Prometheus text as a scraper reads it: `name{labels} value` samples by `name{labels}`.
public enum PrometheusText {
  public struct Malformed: Error, CustomStringConvertible {
    public var description: String
  }

  /// Every sample of `text`; comments must be HELP or TYPE lines, every other line a
  /// sample, or it throws with the line.
  public static func samples(_ text: String) throws -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      if line.hasPrefix("#") {
        guard line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") else { throw Malformed(description: "not HELP or TYPE: \(line)") }
        continue
      }
      guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
        throw Malformed(description: "not a Prometheus sample: \(line)")
      }
      samples[String(line[..<space])] = value
    }
    return samples
  }
}

extension PrometheusText {
  /// The port a process started with `--metrics-port 0 --log-format json` serves on, read
  /// from the `metrics_port` of its log lines in `logFile` once it has logged it.
  public static func loggedPort(in logFile: URL, timeout: Duration = .seconds(60)) async throws -> Int {
    let port = LockedPort()
    try await ConditionPoller.waitFor("the metrics server's port in \(logFile.lastPathComponent)", timeout: timeout) {
      let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n") {
        if let entry = try? JSONParser.parse(Array(line.utf8)), let value = entry["metrics_port"]?.stringValue,
          let number = Int(value) { port.value = number }
      }
      return port.value > 0
    }
    return port.value
  }

  /// Written by the polling thread only, read after it is done.
  private final class LockedPort: @unchecked Sendable {
    var value = 0
  }
}
