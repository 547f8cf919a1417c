import Foundation
import NightdeskTestSupport
import Testing

/// `nightdesk bench structured`, through the built binary: the figures it promises, and
/// a schema outside the supported subset refused with the keyword named.
@Suite struct StructuredBenchCLITests {
  @Test func reportsCompileAndMaskTimesWithTheCPU() async throws {
    let outcome = try await NightdeskBinary.run(["bench", "structured", "--model", TestPaths.fixture("qwen3-tiny").path,
                                                 "--walks", "3", "--compiles", "20", "--json"])
    try #require(outcome.status == 0, "\(outcome.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
    #expect(report["vocabulary"] as? Int == 151_669)
    #expect((report["cpu"] as? String)?.isEmpty == false)
    #expect((report["compile_median_us"] as? Double ?? 0) > 0)
    #expect(report["invalid_outputs"] as? Int == 0 && report["unfinished_walks"] as? Int == 0)
    #expect((report["tokens"] as? Int ?? 0) >= 3)
    for key in ["mask_wall_us", "mask_cpu_us"] {
      let times = try #require(report[key] as? [String: Double], "\(key)")
      #expect(Set(times.keys) == ["mean", "p50", "p99", "p99.9", "max"])
      #expect(times["p50"]! <= times["p99"]! && times["p99"]! <= times["max"]!)
    }
  }

  @Test func anUnsupportedKeywordIsRefusedByName() async throws {
    let folder = try TestPaths.temporaryDirectory("structured-bench")
    defer { try? FileManager.default.removeItem(at: folder) }
    let schema = folder.appendingPathComponent("schema.json")
    try Data(#"{"type": "object", "properties": {"x": {"type": "object", "patternProperties": {}}}}"#.utf8).write(to: schema)
    let outcome = try await NightdeskBinary.run(["bench", "structured", "--model", TestPaths.fixture("qwen3-tiny").path,
                                                 "--schema", schema.path])
    #expect(outcome.status == 1)
    #expect(outcome.stderr == "Error: unsupported schema keyword \"patternProperties\" at $.properties.x\n", "\(outcome.stderr)")
  }
}
