import Foundation

/// Why a schedules file was refused: the file, the line, the field (`schedules[1].cron`)
/// and what is wrong; read by the job types' YAML reader, it has their error's shape.
public typealias ScheduleConfigError = JobTypeError

/// `Jobs/schedules.yaml`: the time zone cron expressions are read in, and the entries.
///
/// ```yaml
/// timezone: Europe/London        # optional; UTC when left out
/// schedules:
///   - name: tessaly-news         # letters, digits, - _ . (names its state in Redis)
///     cron: "*/30 6-22 * * 1-5"  # minute hour day-of-month month day-of-week
///     source: {folder: samples/ingest, files: "news-*"}   # or {feed: path/to/feed.rss}
///     type: news-digest          # Jobs/types/news-digest.yaml
///     desk: markets
///     priority: normal           # optional: high, normal (default) or low
/// ```
///
/// Relative source paths are read from the schedules file's folder, so the file and its
/// sources move together. Everything is checked at load: a bad cron field, an unknown
/// job type, a missing source or an unknown key is refused with the file, line and field.
public struct ScheduleConfig: Sendable {
  public var file: String
  public var timeZone: TimeZone
  public var entries: [ScheduleEntry]

  /// Schedules files are small; anything larger is a mistake.
  public static let maxFileBytes = 256 << 10

  /// The calendar cron expressions are matched in.
  public var calendar: Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    return calendar
  }

  /// Loads and checks `path`; job types are looked up in `typesFolder`.
  public static func load(path: String, typesFolder: String) throws(ScheduleConfigError) -> ScheduleConfig {
    switch FileBytes.readText(path, limit: maxFileBytes) {
    case .failure(let error):
      throw ScheduleConfigError(file: path, reason: error.position == .file ? error.reason : error.description)
    case .success(let text):
      return try parse(yaml: text, file: path, typesFolder: typesFolder)
    }
  }

  public static func parse(yaml: String, file: String, typesFolder: String) throws(ScheduleConfigError) -> ScheduleConfig {
    var fields = try YAMLFields.root(yaml: yaml, file: file)
    var timeZone = TimeZone(identifier: "UTC")!
    if let zone = try fields.optionalString("timezone") {
      guard let known = TimeZone(identifier: zone) else {
        throw fields.error("timezone", "\"\(zone)\" is not a time zone (such as UTC or Europe/London)")
      }
      timeZone = known
    }
    let folder = (file as NSString).deletingLastPathComponent
    var entries: [ScheduleEntry] = []
    for node in try fields.sequence("schedules") {
      var entry = try YAMLFields(node, file: file, path: "schedules[\(entries.count)]")
      let read = try Self.entry(&entry, folder: folder, typesFolder: typesFolder)
      try entry.finish()
      guard !entries.contains(where: { $0.name == read.name }) else {
        throw entry.error("name", "\"\(read.name)\" names two entries")
      }
      entries.append(read)
    }
    guard !entries.isEmpty else { throw fields.error("schedules", "no entries") }
    try fields.finish()
    return ScheduleConfig(file: file, timeZone: timeZone, entries: entries)
  }

  private static func entry(_ fields: inout YAMLFields, folder: String, typesFolder: String) throws(ScheduleConfigError)
    -> ScheduleEntry
  {
    let name = try fields.string("name")
    guard name.utf8.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
      throw fields.error("name", "use 1...64 letters, digits, '-', '_' or '.'")
    }
    let cronText = try fields.string("cron")
    let cron: CronExpression
    do throws(CronError) {
      cron = try CronExpression(cronText)
    } catch {
      throw fields.error("cron", error.description)
    }
    let source = try Self.source(try fields.mapping("source"), folder: folder)
    let typeName = try fields.string("type")
    let type: JobType
    do throws(ScheduleConfigError) {
      type = try JobType.named(typeName, folder: typesFolder)
    } catch {
      throw fields.error("type", "job type \"\(typeName)\": \(error)")
    }
    let desk = try fields.string("desk")
    guard desk.utf8.count <= 64, desk.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
      throw fields.error("desk", "use letters, digits, '-', '_' or '.'")
    }
    let priority = try fields.optionalString("priority") ?? "normal"
    guard ["high", "normal", "low"].contains(priority) else {
      throw fields.error("priority", "\"\(priority)\" is not high, normal or low")
    }
    if case .feed(let path) = source, let kind = InputKind.detect(path: path, family: type.input),
      !type.input.kinds.contains(kind)
    {
      throw fields.error("source", "\(path) is \(kind.rawValue), which \(type.name) (\(type.input.rawValue) input) does not read")
    }
    return ScheduleEntry(name: name, cron: cron, source: source, type: type, desk: desk, priority: priority)
  }

  /// `{folder: PATH, files: GLOB}` or `{feed: PATH}`; the path must exist now.
  private static func source(_ fields: YAMLFields, folder: String) throws(ScheduleConfigError) -> ScheduleSource {
    var fields = fields
    let folderPath = try fields.optionalString("folder")
    let feedPath = try fields.optionalString("feed")
    let pattern = try fields.optionalString("files")
    try fields.finish()
    func resolve(_ path: String) -> String {
      path.hasPrefix("/") || folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
    }
    var isFolder: ObjCBool = false
    switch (folderPath, feedPath) {
    case (let path?, nil):
      let full = resolve(path)
      guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), isFolder.boolValue else {
        throw fields.error("folder", "no folder \(full)")
      }
      return .folder(path: full, pattern: pattern)
    case (nil, let path?):
      let full = resolve(path)
      guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else {
        throw fields.error("feed", "no file \(full)")
      }
      guard pattern == nil else { throw fields.error("files", "goes with folder, not feed") }
      return .feed(path: full)
    default:
      throw ScheduleConfigError(file: fields.file, field: fields.path, line: YAMLFields.line(fields.node),
                         reason: "give exactly one of folder or feed")
    }
  }
}
