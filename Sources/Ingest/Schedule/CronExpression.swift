import Foundation

/// A five-field cron expression (minute, hour, day of month, month, day of week), as
/// crontab(5) reads it: `*`, numbers, month and day names, lists, ranges and steps.
/// When both day fields are restricted a day matches either (`0 9 1 * mon` is the 1st
/// and every Monday), as in Vixie cron; otherwise both must match.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
  public let minute: CronField
  public let hour: CronField
  public let dayOfMonth: CronField
  public let month: CronField
  public let dayOfWeek: CronField
  public let description: String

  /// How far ahead `nextMatch` looks: a leap day on a given weekday recurs within 28 years.
  static let searchYears = 29

  public init(_ text: String) throws(CronError) {
    let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard fields.count == 5 else {
      throw CronError(field: nil, text: text,
        reason: "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
    }
    minute = try CronField(fields[0], kind: .minute)
    hour = try CronField(fields[1], kind: .hour)
    dayOfMonth = try CronField(fields[2], kind: .dayOfMonth)
    month = try CronField(fields[3], kind: .month)
    dayOfWeek = try CronField(fields[4], kind: .dayOfWeek)
    description = fields.joined(separator: " ")
    // `0 0 30 2 *` would never run: say so now rather than stay silent every night.
    if dayOfWeek.isUnrestricted || dayOfMonth.isUnrestricted,
      !month.values.contains(where: { month in dayOfMonth.values.contains { $0 <= Self.longestMonth(month) } })
    {
      throw CronError(field: .dayOfMonth, text: fields[2],
        reason: "no month of \(fields[3]) has such a day, so the expression never matches")
    }
  }

  private static func longestMonth(_ month: Int) -> Int {
    switch month {
    case 2: return 29
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Whether the minute holding `date` matches, in `calendar`'s time zone.
  public func matches(_ date: Date, calendar: Calendar) -> Bool {
    let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
    return minute.contains(parts.minute ?? -1) && hour.contains(parts.hour ?? -1) && month.contains(parts.month ?? -1)
      && dayMatches(day: parts.day ?? -1, weekday: (parts.weekday ?? 0) - 1)
  }

  private func dayMatches(day: Int, weekday: Int) -> Bool {
    if dayOfMonth.isUnrestricted || dayOfWeek.isUnrestricted {
      return dayOfMonth.contains(day) && dayOfWeek.contains(weekday)
    }
    return dayOfMonth.contains(day) || dayOfWeek.contains(weekday)
  }

  /// The first matching minute after the minute holding `date`; nil when none comes
  /// within `searchYears` (a 29 February that must also be a given weekday may not).
  public func nextMatch(after date: Date, calendar: Calendar) -> Date? {
    guard var candidate = calendar.dateInterval(of: .minute, for: date)?.end else { return nil }
    guard let limit = calendar.date(byAdding: .year, value: Self.searchYears, to: date) else { return nil }
    // Skips whole months, days and hours that cannot match, so the walk is short.
    while candidate < limit {
      let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: candidate)
      if !month.contains(parts.month ?? -1) {
        guard let next = calendar.dateInterval(of: .month, for: candidate)?.end else { return nil }
        candidate = next
      } else if !dayMatches(day: parts.day ?? -1, weekday: (parts.weekday ?? 0) - 1) {
        guard let next = calendar.dateInterval(of: .day, for: candidate)?.end else { return nil }
        candidate = next
      } else if !hour.contains(parts.hour ?? -1) {
        guard let next = calendar.dateInterval(of: .hour, for: candidate)?.end else { return nil }
        candidate = next
      } else if !minute.contains(parts.minute ?? -1) {
        candidate = candidate.addingTimeInterval(60)
      } else {
        return candidate
      }
    }
    return nil
  }

  /// Due: never run, or a matching minute has come since the minute of its last run
  /// (a run missed while nothing was running is made up once, not once per minute missed).
  public func isDue(lastRun: Date?, now: Date, calendar: Calendar) -> Bool {
    guard let lastRun else { return true }
    guard let next = nextMatch(after: lastRun, calendar: calendar) else { return false }
    return next <= now
  }
}
