import Foundation
import NightdeskTestSupport
import Testing

/// `nightdesk --version`: one line naming the release, so operators can tell which
/// build each worker runs (RUNBOOK: upgrading workers one by one).
@Suite struct VersionTests {
  @Test func versionPrintsTheReleaseAndExitsZero() async throws {
    let result = try await NightdeskBinary.run(["--version"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty, "\(result.stderr)")
    // "nightdesk 0.6.0": the name, then a semantic version.
    #expect(result.stdout.wholeMatch(of: /nightdesk \d+\.\d+\.\d+\n/) != nil, "\(result.stdout)")
  }

  @Test func theRootHelpOffersVersion() async throws {
    let help = try await NightdeskBinary.run(["--help"], environment: ["COLUMNS": "80"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("--version"), "\(help.stdout)")
  }
}
