/// One entry of `Jobs/schedules.yaml`: when it runs, where its articles come from, the
/// job type they are submitted as, and for which desk.
public struct ScheduleEntry: Sendable {
  /// Names the entry's state in Redis (its last run and the articles it has seen).
  public var name: String
  public var cron: CronExpression
  public var source: ScheduleSource
  public var type: JobType
  public var desk: String
  /// `high`, `normal` or `low`.
  public var priority: String

  public init(name: String, cron: CronExpression, source: ScheduleSource, type: JobType, desk: String,
              priority: String = "normal") {
    self.name = name
    self.cron = cron
    self.source = source
    self.type = type
    self.desk = desk
    self.priority = priority
  }
}
