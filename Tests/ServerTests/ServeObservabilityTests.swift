import Foundation
import NightdeskQueueTestSupport
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `nightdesk serve`'s access log and metrics through curl: a JSON line per request with
/// its method, path, status, time and desk, never the API key (right or wrong); requests
/// counted by route and status on /metrics.
struct ServeObservabilityTests {
  static let key = "sk-observed-0123456789abcdef"
  static let wrongKey = "sk-intruder-0123456789abcdef"

  @Test func accessLinesNameTheDeskAndNeverTheKey() async throws {
    let fixture = try QueueFixture()
    let server = try ServeProcess(fixture, keys: [Self.key: "markets"], extra: [
      "--log-format", "json", "--metrics-port", "0", "--metrics-host", "127.0.0.1",
    ])
    defer { server.stop() }
    try await server.waitUntilListening()
    let curl = Curl(base: server.baseURL)
    #expect(try await curl.call("GET", "/v1/batches?limit=5", key: Self.key).status == 200)
    #expect(try await curl.call("GET", "/v1/files", key: Self.wrongKey).status == 401)
    #expect(try await curl.call("GET", "/v1/batches/batch_nothere", key: Self.key).status == 404)

    var access: [String: JSONValue] = [:]
    try await ConditionPoller.waitFor("three access lines", timeout: .seconds(30)) {
      access = [:]
      for line in server.log.split(separator: "\n") {
        let entry = try JSONParser.parse(Array(line.utf8))
        if let path = entry["path"]?.stringValue, entry["status"] != nil { access[path] = entry }
      }
      return access.count >= 3
    }
    let log = server.log
    #expect(!log.contains(Self.key) && !log.contains(Self.wrongKey) && !log.contains("sk-"), "\(log)")
    let listed = try #require(access["/v1/batches"], "\(log)")
    #expect(listed["method"]?.stringValue == "GET" && listed["status"]?.intValue == 200 && listed["desk"]?.stringValue == "markets")
    #expect(listed["level"]?.stringValue == "info" && listed["time"]?.stringValue != nil)
    #expect((listed["ms"]?.doubleValue ?? -1) >= 0, "\(listed)")
    #expect(access["/v1/files"]?["status"]?.intValue == 401 && access["/v1/files"]?["desk"]?.stringValue == "-")
    #expect(access["/v1/batches/batch_nothere"]?["status"]?.intValue == 404)

    // Counted by route (its pattern, not the id) and status.
    let port = try await PrometheusText.loggedPort(in: server.folder.appendingPathComponent("serve.log"))
    let samples = try PrometheusText.samples(try PlainHTTP.get(port: port, path: "/metrics").body)
    let counted = samples.filter { $0.key.hasPrefix("nightdesk_http_requests_total{") }
    #expect(counted.contains { $0.key.contains("route=\"/v1/batches\"") && $0.key.contains("status=\"200\"") && $0.value == 1 },
            "\(counted)")
    #expect(counted.contains { $0.key.contains("route=\"/v1/batches/{id}\"") || $0.key.contains("route=\"/v1/batches/:id\"") },
            "\(counted)")
    #expect(!counted.keys.contains { $0.contains("batch_nothere") })
    #expect(samples.keys.contains { $0.hasPrefix("nightdesk_http_request_duration_seconds_bucket{") })
    try await ConditionPoller.waitFor("/health to answer 200", timeout: .seconds(30)) {
      (try? PlainHTTP.get(port: port, path: "/health").status) == 200
    }
  }
}
