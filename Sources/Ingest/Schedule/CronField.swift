/// One of a cron expression's five fields: the values it allows, from `*`, numbers,
/// names (`jan`, `mon`), lists (`1,15`), ranges (`9-17`) and steps (`*/15`, `8-18/2`).
public struct CronField: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case minute, hour, dayOfMonth = "day of month", month, dayOfWeek = "day of week"

    /// The values the field may name. Day of week takes 7 for Sunday too (folded to 0).
    var range: ClosedRange<Int> {
      switch self {
      case .minute: return 0...59
      case .hour: return 0...23
      case .dayOfMonth: return 1...31
      case .month: return 1...12
      case .dayOfWeek: return 0...7
      }
    }

    var names: [String] {
      switch self {
      case .month: return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
      case .dayOfWeek: return ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
      default: return []
      }
    }

    /// The first name stands for this value (`jan` = 1, `sun` = 0).
    var firstNamedValue: Int { self == .month ? 1 : 0 }
  }

  public let kind: Kind
  /// The allowed values, sorted.
  public let values: [Int]
  /// Written from `*` (`*`, `*/2`): cron's rule for days treats such a field apart, as
  /// Vixie cron does (it looks at the first character).
  public let isUnrestricted: Bool

  private let allowed: Set<Int>

  public func contains(_ value: Int) -> Bool { allowed.contains(value) }

  /// Parses `text` as a field of `kind`; the error says which part is wrong and why.
  public init(_ text: String, kind: Kind) throws(CronError) {
    self.kind = kind
    var set = Set<Int>()
    guard !text.isEmpty else { throw CronError(field: kind, text: text, reason: "empty") }
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      try Self.add(String(part), kind: kind, whole: text, to: &set)
    }
    if kind == .dayOfWeek, set.remove(7) != nil { set.insert(0) }
    allowed = set
    values = set.sorted()
    isUnrestricted = text.hasPrefix("*")
  }

  private static func add(_ part: String, kind: Kind, whole: String, to set: inout Set<Int>) throws(CronError) {
    func fail(_ reason: String) -> CronError { CronError(field: kind, text: whole, reason: reason) }
    guard !part.isEmpty else { throw fail("an empty item in the list") }
    let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
    guard pieces.count <= 2 else { throw fail("'\(part)' has more than one '/'") }
    var step = 1
    if pieces.count == 2 {
      guard let value = Int(pieces[1]), value > 0 else { throw fail("step '\(pieces[1])' is not a positive whole number") }
      guard value <= kind.range.upperBound else { throw fail("step \(value) is larger than \(kind.range.upperBound)") }
      step = value
    }
    let span = pieces[0]
    var low: Int
    var high: Int
    if span == "*" {
      low = kind.range.lowerBound
      high = kind == .dayOfWeek ? 6 : kind.range.upperBound
    } else {
      let bounds = span.split(separator: "-", omittingEmptySubsequences: false)
      guard bounds.count <= 2 else { throw fail("'\(span)' is not a value or a range a-b") }
      low = try value(String(bounds[0]), kind: kind, fail: fail)
      high = bounds.count == 2 ? try value(String(bounds[1]), kind: kind, fail: fail) : low
      // `5/15` is cron for "from 5 to the end, every 15".
      if bounds.count == 1, pieces.count == 2 { high = kind.range.upperBound }
      guard low <= high else { throw fail("range \(span) runs backwards") }
    }
    for value in stride(from: low, through: high, by: step) { set.insert(value) }
  }

  private static func value(_ text: String, kind: Kind, fail: (String) -> CronError) throws(CronError) -> Int {
    if let index = kind.names.firstIndex(of: text.lowercased()) { return index + kind.firstNamedValue }
    guard let number = Int(text) else {
      let names = kind.names.isEmpty ? "" : " or a name (\(kind.names.first!)...\(kind.names.last!))"
      throw fail("'\(text)' is not a number\(names)")
    }
    guard kind.range.contains(number) else {
      throw fail("\(number) is outside \(kind.range.lowerBound)...\(kind.range.upperBound)")
    }
    return number
  }
}

/// A cron expression that cannot be parsed: which field, what it said, and why.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
  public var field: CronField.Kind?
  public var text: String
  public var reason: String

  public init(field: CronField.Kind?, text: String, reason: String) {
    self.field = field
    self.text = text
    self.reason = reason
  }

  /// "hour field '25': 25 is outside 0...23"
  public var description: String {
    guard let field else { return "'\(text)': \(reason)" }
    return "\(field.rawValue) field '\(text)': \(reason)"
  }
}
