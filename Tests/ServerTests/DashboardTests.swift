import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskTestSupport
import Testing

/// The dashboard in headless Chromium (Debian's `chromium`): it loads, a batch's
/// progress moves between two loads while a worker runs it, and a failed job shows
/// with its reason.
/// The last screenshot is kept in the build folder (`test-artefacts/dashboard.png`).
struct DashboardTests {
  static let chromium = URL(fileURLWithPath: "/usr/bin/chromium")

  @Test func showsProgressMovingAndFailures() async throws {
    try #require(FileManager.default.isExecutableFile(atPath: Self.chromium.path),
                 "\(Self.chromium.path) is missing: Ops/setup installs Debian's chromium")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    // A job whose deadline has passed fails when a worker claims it, with its reason.
    let late = JobSpec(requests: chatJob("Too late?").requests, desk: "macro",
                       deadline: Date().timeIntervalSince1970 - 60)
    let lateBatch = try queue.submit([late]).batch
    let batch = try queue.submit((1...6).map { chatJob("Question \($0)?", document: "Document \($0).") }).batch
    let server = try ServeProcess(fixture)
    defer { server.stop() }
    try await server.waitUntilListening()

    // No worker yet: the batch shows nothing done.
    let before = try await Self.chromium(["--dump-dom", server.baseURL + "/"])
    #expect(Self.progress(of: batch, in: before) == 0, "\(before)")
    // A worker running one job at a time, a second each: look again once two are done.
    let (worker, _) = try WorkerProcess.start(fixture, id: "dash", echoDelay: 1, lease: 30, drain: false,
                                              extra: ["--max-sequences", "1", "--prefetch", "1"])
    defer { worker.terminate() }
    try await ConditionPoller.waitFor("two jobs done and the late one failed") {
      let status = try fixture.client().batchStatus(batch)
      let failed = try fixture.client().batchStatus(lateBatch)?.count(.failed)
      return (status?.count(.succeeded) ?? 0) >= 2 && failed == 1
    }
    let dom = try await Self.chromium(["--dump-dom", server.baseURL + "/"])
    let later = try #require(Self.progress(of: batch, in: dom), "\(dom)")
    #expect(later >= 2, "the batch's progress did not move: \(later)")
    #expect(dom.contains("the deadline passed before the job could run"), "no failure shown:\n\(dom)")
    #expect(dom.contains("desk macro") && dom.contains(">echo<"), "batches by desk or the worker's model missing")

    let artefacts = NightdeskBinary.url.deletingLastPathComponent().appendingPathComponent("test-artefacts")
    try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
    let screenshot = artefacts.appendingPathComponent("dashboard.png")
    try? FileManager.default.removeItem(at: screenshot)
    _ = try await Self.chromium(["--window-size=1280,900", "--screenshot=\(screenshot.path)", server.baseURL + "/"])
    let attributes = try FileManager.default.attributesOfItem(atPath: screenshot.path)
    #expect((attributes[.size] as? Int ?? 0) > 10_000, "the screenshot is empty")
  }

  /// The page as headless Chromium has it after its script ran for a few (virtual) seconds.
  static func chromium(_ arguments: [String]) async throws -> String {
    let run = try await NightdeskBinary.runProgram(
      chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=2500"] + arguments)
    try #require(run.status == 0, "chromium failed: \(run.stderr)")
    return run.stdout
  }

  /// Requests done in `batch`'s row ("N/M requests"), if the row is there.
  static func progress(of batch: String, in dom: String) -> Int? {
    guard let row = dom.range(of: "data-batch=\"\(batch)\"") else { return nil }
    let rest = dom[row.upperBound...]
    guard let cell = rest.range(of: "class=\"progress\">") else { return nil }
    return Int(rest[cell.upperBound...].prefix { $0.isNumber })
  }
}
