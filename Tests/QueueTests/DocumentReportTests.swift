import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk report` on results written into a real queue: a schema-valid synthesis is the
/// document's result (with its digest and the sentiment by entity), an invalid one is
/// refused with the schema's complaint, and a failed chunk is listed with its reason.
@Suite struct DocumentReportTests {
  static let newsDigest = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types/news-digest.yaml").path

  /// Runs the group's chunks (the last fails), then stores `synthesisText` as its synthesis.
  static func finish(_ queue: QueueClient, synthesisText: String) throws {
    let chunks = try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false)
    for job in chunks.dropLast() { _ = try queue.complete(job.lease, result: result(for: job, worker: "w")) }
    if let last = chunks.last { _ = try queue.finish(last.lease, failure: "context overflow", disposition: .permanent) }
    let synthesis = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    _ = try queue.complete(synthesis.lease, result: result(for: synthesis, worker: "w", text: synthesisText))
  }

  @Test func aValidSynthesisIsTheResultWithItsDigestAndAggregates() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit(documentGroup("r1", chunks: 2, jobType: "news-digest", typeFile: Self.newsDigest))
    let valid = #"{"summary": "Harrowgate Mills beat forecasts.", "entities": [{"name": "Harrowgate Mills", "kind": "company"}], "sentiment": "positive"}"#
    try Self.finish(queue, synthesisText: "Here it is: " + valid)
    _ = try queue.submit(documentGroup("r2", chunks: 1, jobType: "news-digest", typeFile: Self.newsDigest),
                         toBatch: receipt.batch)
    try Self.finish(queue, synthesisText: #"{"summary": "x", "sentiment": "great"}"#)
    let redis = ["--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace]

    let json = try JSONParser.parse(try await NightdeskBinary.run(["report", receipt.batch, "--format", "json"] + redis).stdout)
    let documents = try #require(json["documents"]?.arrayValue)
    #expect(documents.count == 2)
    #expect(documents[0]["status"] == "succeeded" && documents[0]["error"] == .null)
    #expect(documents[0]["result"] == (try JSONParser.parse(valid)))
    #expect(documents[1]["status"] == "invalid" && documents[1]["result"] == .null)
    #expect(documents[1]["error"]?.stringValue?.contains("entities") == true, "\(documents[1])")
    let failures = try #require(json["failures"]?.arrayValue)
    #expect(failures.contains { $0["source"] == "r1.txt" && $0["error"] == "chunk 2 (p. 2, §Risks): context overflow" })
    #expect(failures.contains { $0["source"] == "r2.txt" && $0["error"]?.stringValue?.hasPrefix("synthesis: ") == true })

    let markdown = try await NightdeskBinary.run(["report", receipt.batch] + redis).stdout
    #expect(markdown.contains("### Digest\n\nHarrowgate Mills beat forecasts."), "\(markdown)")
    #expect(markdown.contains("- chunk 1 [p. 1, §Risks] — q: answer"))
    #expect(markdown.contains("## Sentiment by entity\n\n- Harrowgate Mills: positive 1"))
    let csv = try await NightdeskBinary.run(["report", receipt.batch, "--format", "csv"] + redis).stdout
    #expect(csv.hasPrefix("source,job_type,status,error,summary,sentiment\r\nr1.txt,news-digest,succeeded,,"
                          + "Harrowgate Mills beat forecasts.,positive\r\n"), "\(csv)")
  }
}
