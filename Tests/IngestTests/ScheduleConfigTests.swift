import Foundation
import NightdeskIngest
import NightdeskTestSupport
import Testing

@Suite struct ScheduleConfigTests {
  static let types = IngestFixtures.jobTypes.path

  /// `yaml` as a schedules file in a fresh folder that also holds `news/` and `feed.rss`.
  static func load(_ yaml: String) throws -> Result<ScheduleConfig, ScheduleConfigError> {
    let folder = try TestPaths.temporaryDirectory("schedules")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("news"), withIntermediateDirectories: true)
    try Data("<rss/>".utf8).write(to: folder.appendingPathComponent("feed.rss"))
    let file = folder.appendingPathComponent("schedules.yaml").path
    try Data(yaml.utf8).write(to: URL(fileURLWithPath: file))
    return Result { () throws(ScheduleConfigError) in try ScheduleConfig.load(path: file, typesFolder: types) }
  }

  static func problem(_ yaml: String) throws -> String? {
    guard case .failure(let error) = try load(yaml) else { return nil }
    return "\(error.line.map(String.init) ?? "-"): \(error.field ?? "-"): \(error.reason)"
  }

  static let entry = """
    schedules:
      - name: wire
        cron: "*/30 6-22 * * mon-fri"
        source: {folder: news, files: "*.jsonl"}
        type: news-digest
        desk: markets
    """

  @Test func theShippedFileLoads() throws {
    let file = TestPaths.repositoryRoot.appendingPathComponent("Jobs/schedules.yaml").path
    let config = try ScheduleConfig.load(path: file, typesFolder: Self.types)
    #expect(config.entries.map(\.name) == ["tessaly-wire"])
    let wire = try #require(config.entries.first)
    #expect(wire.type.name == "news-digest" && wire.desk == "markets" && wire.priority == "normal")
    guard case .folder(let path, let pattern) = wire.source else { Issue.record("\(wire.source)"); return }
    #expect(pattern == "news-*")
    #expect(wire.source.files(family: .news).map { ($0 as NSString).lastPathComponent }
      == ["news-2026-11-27.atom", "news-2026-11-27.jsonl", "news-2026-11-27.rss"], "\(path)")
  }

  @Test func aGoodEntryResolvesItsSourceBesideTheFile() throws {
    let config = try Self.load(Self.entry).get()
    guard case .folder(let path, "*.jsonl") = config.entries[0].source else { Issue.record("\(config.entries[0].source)"); return }
    #expect(path.hasSuffix("/news"))
    #expect(config.timeZone.secondsFromGMT() == 0)
  }

  @Test func badFilesAreRefusedWithLineFieldAndReason() throws {
    #expect(try Self.problem(Self.entry.replacingOccurrences(of: "6-22", with: "6-25"))
      == "3: schedules[0].cron: hour field '6-25': 25 is outside 0...23")
    #expect(try Self.problem(Self.entry.replacingOccurrences(of: "news-digest", with: "weather"))?
      .hasPrefix("5: schedules[0].type: job type \"weather\": ") == true)
    #expect(try Self.problem(Self.entry.replacingOccurrences(of: "folder: news", with: "folder: missing"))?
      .hasPrefix("4: schedules[0].source.folder: no folder ") == true)
    #expect(try Self.problem(Self.entry.replacingOccurrences(of: "{folder: news, files: \"*.jsonl\"}", with: "{feed: gone.rss}"))?
      .hasPrefix("4: schedules[0].source.feed: no file ") == true)
    #expect(try Self.problem(Self.entry.replacingOccurrences(of: "{folder: news, files: \"*.jsonl\"}", with: "{}"))
      == "4: schedules[0].source: give exactly one of folder or feed")
    #expect(try Self.problem(Self.entry + "\n    desks: x")
      == "7: schedules[0].desks: unknown field (known here: cron, desk, name, priority, source, type)")
    #expect(try Self.problem(Self.entry.replacingOccurrences(of: "\n    desk: markets", with: ""))
      == "2: schedules[0].desk: missing (required)")
    #expect(try Self.problem("timezone: Mars/Olympus\n" + Self.entry)
      == "1: timezone: \"Mars/Olympus\" is not a time zone (such as UTC or Europe/London)")
    #expect(try Self.problem(Self.entry + "\n" + Self.entry.replacingOccurrences(of: "schedules:\n", with: ""))
      == "7: schedules[1].name: \"wire\" names two entries")
  }
}
