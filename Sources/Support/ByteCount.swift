/// Parses human sizes such as `2GiB`, `512MiB`, `1.5G`, `4096` (bytes) for options like `--kv-memory`.
public enum ByteCount {
  public struct ParseError: Error, CustomStringConvertible, Sendable {
    public var text: String
    public var description: String {
      "'\(text)' is not a size: use a number with an optional unit, e.g. 4096, 512MiB, 2GiB, 1.5GB"
    }
  }

  public static func parse(_ text: String) throws -> Int {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let digits = trimmed.prefix { $0.isNumber || $0 == "." }
    let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
    guard let number = Double(digits), number >= 0 else { throw ParseError(text: text) }
    let multipliers: [String: Double] = [
      "": 1, "b": 1,
      "k": 1e3, "kb": 1e3, "kib": 1024,
      "m": 1e6, "mb": 1e6, "mib": 1_048_576,
      "g": 1e9, "gb": 1e9, "gib": 1_073_741_824,
      "t": 1e12, "tb": 1e12, "tib": 1_099_511_627_776,
    ]
    guard let multiplier = multipliers[unit] else { throw ParseError(text: text) }
    let bytes = number * multiplier
    guard bytes < 9e18 else { throw ParseError(text: text) }
    return Int(bytes)
  }

  /// `1.50 GiB`-style text for reports.
  public static func format(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.2f %@", value, units[unit])
  }
}

import Foundation
