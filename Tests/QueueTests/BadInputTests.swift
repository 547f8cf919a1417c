import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskTestSupport
import Testing

/// Bad numbers on the command line and in submissions are refused with a message naming
/// them, before anything is written: never a trap, never a job that cannot be read back.
@Suite struct BadInputTests {
  func run(_ fixture: QueueFixture, _ arguments: [String]) async throws -> NightdeskBinary.Outcome {
    try await NightdeskBinary.run(arguments + ["--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace])
  }

  @Test func submitRefusesSamplingOutOfBoundsAndAbsurdDeadlinesAndWritesNothing() async throws {
    let fixture = try QueueFixture()
    let folder = try TestPaths.temporaryDirectory("nd-bad-input")
    defer { try? FileManager.default.removeItem(at: folder) }
    let document = folder.appendingPathComponent("report.txt")
    try "Revenue rose 4 percent.".write(to: document, atomically: true, encoding: .utf8)
    let base = ["submit", "--document", document.path, "--question", "What rose?"]
    for (extra, mentions) in [(["--max-tokens", "0"], "max_tokens"), (["--temperature", "5"], "temperature"),
                              (["--deadline-in", "1e300"], "ten years")] {
      let outcome = try await run(fixture, base + extra)
      #expect(outcome.status != 0 && outcome.status < 128, "\(extra): exit \(outcome.status)")
      #expect(outcome.stderr.contains(mentions), "\(extra): \(outcome.stderr)")
    }
    #expect(try fixture.client().redis.command("DBSIZE").int == 0)
    // A manifest entry whose deadline is past the year 9999 is refused, not a trap.
    var spec = chatJob("q")
    spec.deadline = 1e17
    #expect(throws: QueueError.self) { _ = try fixture.client().submit([spec]) }
  }

  @Test func workerRefusesAbsurdDurationsAndTakesAFractionOfASecondOfRetention() async throws {
    let fixture = try QueueFixture()
    for extra in [["--lease", "1e300"], ["--grace", "1e300"], ["--backoff", "1e300"], ["--retention", "1e300s"]] {
      let outcome = try await run(fixture, ["worker", "--echo", "--drain"] + extra)
      #expect(outcome.status != 0 && outcome.status < 128, "\(extra): exit \(outcome.status) \(outcome.stderr)")
      #expect(outcome.stderr.contains(extra[0]), "\(extra): \(outcome.stderr)")
    }
    let fraction = try await run(fixture, ["worker", "--echo", "--drain", "--retention", "0.5s"])
    #expect(fraction.status == 0, "exit \(fraction.status): \(fraction.stderr)")
  }
}
