import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `submit --on-complete`: the real binary's submit and echo workers on a real
/// redis-server; a local HTTP listener and a command writing a file receive the event.
@Suite struct BatchCompletionTests {
  private func submit(_ fixture: QueueFixture, onComplete: String) async throws -> String {
    let folder = try TestPaths.temporaryDirectory("nd-complete")
    let document = folder.appendingPathComponent("doc.txt")
    try Data("The quarterly report.".utf8).write(to: document)
    let outcome = try await NightdeskBinary.run([
      "submit", "--document", document.path, "--question", "Revenue?", "--question", "Risks?", "--on-complete", onComplete,
      "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace, "--json",
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    return try #require(try JSONParser.parse(Array(outcome.stdout.utf8))["batch"]?.stringValue)
  }

  private func drain(_ fixture: QueueFixture, extra: [String] = []) async throws {
    let outcome = try await NightdeskBinary.run([
      "worker", "--echo", "--drain", "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace,
    ] + extra)
    #expect(outcome.status == 0, "\(outcome.stderr)")
  }

  @Test func theFinishedBatchIsPostedOnceToItsURL() async throws {
    let fixture = try QueueFixture()
    let listener = try HTTPRequestRecorder()
    let batch = try await submit(fixture, onComplete: "http://127.0.0.1:\(listener.port)/nightly")
    try await drain(fixture)
    try await ConditionPoller.waitFor("the event to arrive", timeout: .seconds(30)) { !listener.requests.isEmpty }
    // A second worker finds nothing more to send.
    try await drain(fixture)
    try await Task.sleep(for: .milliseconds(500))
    #expect(listener.requests.count == 1)
    let request = try #require(listener.requests.first)
    #expect(request.line == "POST /nightly HTTP/1.1", "\(request.line)")
    let event = try JSONParser.parse(Array(request.body.utf8))
    #expect(event["event"]?.stringValue == "batch.completed")
    #expect(event["batch"]?.stringValue == batch)
    let total = try #require(event["total"]?.intValue)
    #expect(total >= 1 && event["counts"]?["succeeded"]?.intValue == total, "\(request.body)")
    #expect((event["prompt_tokens"]?.intValue ?? 0) > 0)
  }

  @Test func aCommandRunsOnlyOnAWorkerThatAllowsCommands() async throws {
    let fixture = try QueueFixture()
    let folder = try TestPaths.temporaryDirectory("nd-complete-cmd")
    let eventFile = folder.appendingPathComponent("event.json").path
    let batchFile = folder.appendingPathComponent("batch.txt").path
    let batch = try await submit(fixture, onComplete: "cat > \(eventFile); printf %s \"$NIGHTDESK_BATCH\" > \(batchFile)")
    try await drain(fixture)
    // The worker that was not allowed ran nothing, and left the notice for one that is.
    #expect(!FileManager.default.fileExists(atPath: eventFile))
    let waiting = try fixture.client().redis.command("LLEN", fixture.keys.completions(.command)).int
    #expect(waiting == 1)
    try await drain(fixture, extra: ["--allow-on-complete-commands"])
    let event = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: eventFile))))
    #expect(event["batch"]?.stringValue == batch)
    #expect(event["counts"]?["succeeded"]?.intValue == event["total"]?.intValue)
    #expect(try String(contentsOfFile: batchFile, encoding: .utf8) == batch)
  }

  @Test func aBadURLIsRefusedAtSubmit() async throws {
    let outcome = try await NightdeskBinary.run(["submit", "--document", "x", "--question", "q", "--on-complete", "https://"])
    #expect(outcome.status != 0)
    #expect(outcome.stderr.contains("not a valid http(s) URL"), "\(outcome.stderr)")
  }
}
