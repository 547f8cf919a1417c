import Foundation
import NightdeskIngest
import Testing

@Suite struct CronExpressionTests {
  static let utc: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
  }()

  /// 2026-12-07 is a Monday.
  static func date(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: text)!
  }

  @Test func fieldsTakeStarsListsRangesStepsAndNames() throws {
    #expect(try CronField("*", kind: .hour).values == Array(0...23))
    #expect(try CronField("*/15", kind: .minute).values == [0, 15, 30, 45])
    #expect(try CronField("1,15,30", kind: .dayOfMonth).values == [1, 15, 30])
    #expect(try CronField("9-17", kind: .hour).values == Array(9...17))
    #expect(try CronField("8-18/4", kind: .hour).values == [8, 12, 16])
    #expect(try CronField("5/20", kind: .minute).values == [5, 25, 45])
    #expect(try CronField("1-5,0", kind: .dayOfWeek).values == [0, 1, 2, 3, 4, 5])
    #expect(try CronField("mon-fri", kind: .dayOfWeek).values == [1, 2, 3, 4, 5])
    #expect(try CronField("7", kind: .dayOfWeek).values == [0])
    #expect(try CronField("JAN,jun-aug", kind: .month).values == [1, 6, 7, 8])
    #expect(try CronField("*/2", kind: .dayOfWeek).values == [0, 2, 4, 6])
  }

  @Test func badFieldsAreRefusedNamingTheFieldAndWhy() {
    func problem(_ text: String) -> String? {
      do { _ = try CronExpression(text); return nil } catch { return error.description }
    }
    #expect(problem("0 25 * * *") == "hour field '25': 25 is outside 0...23")
    #expect(problem("61 * * * *") == "minute field '61': 61 is outside 0...59")
    #expect(problem("* * * *") == "'* * * *': expected 5 fields (minute hour day-of-month month day-of-week), found 4")
    #expect(problem("*/0 * * * *") == "minute field '*/0': step '0' is not a positive whole number")
    #expect(problem("* 17-9 * * *") == "hour field '17-9': range 17-9 runs backwards")
    #expect(problem("* * * foo *") == "month field 'foo': 'foo' is not a number or a name (jan...dec)")
    #expect(problem("1,,2 * * * *") == "minute field '1,,2': an empty item in the list")
    #expect(problem("0 0 0 * *") == "day of month field '0': 0 is outside 1...31")
    #expect(problem("0 0 30 2 *") == "day of month field '30': no month of 2 has such a day, so the expression never matches")
  }

  @Test func matchingFollowsCronsDayRule() throws {
    let weekdayMornings = try CronExpression("*/30 6-22 * * mon-fri")
    #expect(weekdayMornings.matches(Self.date("2026-12-07T06:30:00Z"), calendar: Self.utc))
    #expect(weekdayMornings.matches(Self.date("2026-12-07T06:30:59Z"), calendar: Self.utc))
    #expect(!weekdayMornings.matches(Self.date("2026-12-07T06:31:00Z"), calendar: Self.utc))
    #expect(!weekdayMornings.matches(Self.date("2026-12-07T05:30:00Z"), calendar: Self.utc))
    #expect(!weekdayMornings.matches(Self.date("2026-12-06T06:30:00Z"), calendar: Self.utc))  // a Sunday
    // Both day fields restricted: either one matches (the 1st, and every Friday).
    let firstOrFriday = try CronExpression("0 9 1 * fri")
    #expect(firstOrFriday.matches(Self.date("2026-12-01T09:00:00Z"), calendar: Self.utc))  // a Tuesday
    #expect(firstOrFriday.matches(Self.date("2026-12-11T09:00:00Z"), calendar: Self.utc))  // a Friday
    #expect(!firstOrFriday.matches(Self.date("2026-12-08T09:00:00Z"), calendar: Self.utc))
  }

  @Test func nextMatchSkipsToTheRightMinute() throws {
    let expression = try CronExpression("15 9 * * mon-fri")
    #expect(expression.nextMatch(after: Self.date("2026-12-07T09:15:30Z"), calendar: Self.utc)
      == Self.date("2026-12-08T09:15:00Z"))
    #expect(expression.nextMatch(after: Self.date("2026-12-11T10:00:00Z"), calendar: Self.utc)
      == Self.date("2026-12-14T09:15:00Z"))  // Friday to Monday
    let leapDay = try CronExpression("0 0 29 2 *")
    #expect(leapDay.nextMatch(after: Self.date("2026-12-07T00:00:00Z"), calendar: Self.utc)
      == Self.date("2028-02-29T00:00:00Z"))
    var london = Calendar(identifier: .gregorian)
    london.timeZone = TimeZone(identifier: "Europe/London")!
    #expect(try CronExpression("0 6 * * *").nextMatch(after: Self.date("2026-07-01T12:00:00Z"), calendar: london)
      == Self.date("2026-07-02T05:00:00Z"))  // 06:00 British Summer Time
  }

  @Test func dueWhenNeverRunOrAMatchHasComeSinceTheLastRun() throws {
    let halfHourly = try CronExpression("*/30 * * * *")
    let now = Self.date("2026-12-07T10:31:00Z")
    #expect(halfHourly.isDue(lastRun: nil, now: now, calendar: Self.utc))
    #expect(halfHourly.isDue(lastRun: Self.date("2026-12-07T09:59:00Z"), now: now, calendar: Self.utc))
    #expect(!halfHourly.isDue(lastRun: Self.date("2026-12-07T10:30:00Z"), now: now, calendar: Self.utc))
    // Missed runs are made up once.
    #expect(halfHourly.isDue(lastRun: Self.date("2026-12-01T00:00:00Z"), now: now, calendar: Self.utc))
    let yearly = try CronExpression("0 0 1 1 *")
    #expect(!yearly.isDue(lastRun: Self.date("2026-12-07T10:00:00Z"), now: now, calendar: Self.utc))
  }
}
