import Foundation

/// API keys and the desk each one acts for, read from the file named by
/// `NIGHTDESK_API_KEYS_FILE`: one `KEY DESK` per line, `#` comments and blank lines
/// ignored. Keys come from a file only (never a flag), so they stay out of command
/// lines, shell history and `ps`.
public struct APIKeys: Sendable {
  public static let fileVariable = "NIGHTDESK_API_KEYS_FILE"

  let desks: [String: String]

  public var count: Int { desks.count }

  public init(desks: [String: String]) { self.desks = desks }

  /// Reads and checks the file; a bad line is refused with its number (the key itself
  /// is never printed).
  public static func load(path: String) throws -> APIKeys {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw APIKeysError("\(fileVariable)=\(path): cannot read the file")
    }
    return try parse(text, source: path)
  }

  static func parse(_ text: String, source: String) throws -> APIKeys {
    var desks: [String: String] = [:]
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      let place = "\(source): line \(index + 1)"
      guard fields.count == 2 else {
        throw APIKeysError("\(place): expected `KEY DESK` (two fields), found \(fields.count)")
      }
      let key = String(fields[0])
      let desk = String(fields[1])
      guard key.utf8.count >= 16 else { throw APIKeysError("\(place): the key is shorter than 16 characters") }
      guard DeskScope.isValidDesk(desk) else {
        throw APIKeysError("\(place): desk '\(desk)' must be 1...64 letters, digits, '-', '_' or '.'")
      }
      guard desks[key] == nil else { throw APIKeysError("\(place): this key was already given on an earlier line") }
      desks[key] = desk
    }
    guard !desks.isEmpty else { throw APIKeysError("\(source): no keys (lines `KEY DESK`)") }
    return APIKeys(desks: desks)
  }

  /// The desk of `key`, comparing every key in full so the time taken does not tell
  /// how much of a guess was right.
  func desk(for key: String) -> String? {
    var found: String?
    for (candidate, desk) in desks where Self.equalInConstantTime(candidate, key) { found = desk }
    return found
  }

  static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for index in 0..<max(x.count, y.count) {
      difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
    }
    return difference == 0
  }
}

public struct APIKeysError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
