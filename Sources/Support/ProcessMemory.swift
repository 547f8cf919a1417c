import Foundation

/// This process's memory as Linux reports it in /proc/self/status, for benchmark
/// reports (nil where the file is missing, e.g. on macOS).
public enum ProcessMemory {
  /// Peak resident set size (VmHWM), bytes.
  public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }
  /// Current resident set size (VmRSS), bytes.
  public static func residentBytes() -> Int? { statusField("VmRSS:") }

  private static func statusField(_ name: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
    }
    return nil
  }
}
