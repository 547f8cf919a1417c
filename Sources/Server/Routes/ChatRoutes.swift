import Hummingbird
import NightdeskQueue
import NightdeskRequests
import NightdeskStructured
import NightdeskSupport

/// `POST /v1/chat/completions`: one request, queued at high priority like any job (so
/// it runs on the night's workers, ahead of the batches), answered when a worker has
/// finished it. With `stream: true` the answer comes as server-sent events: comments
/// while it waits (so proxies keep the connection), then the answer as chunks and
/// `data: [DONE]`. Workers store answers whole, so the text arrives in one chunk.
struct ChatRoutes {
  let store: ServerStore
  let access: AccessPolicy
  /// How long a caller waits for a worker before 504 (the job stays queued or is cancelled).
  static let maxWait: Duration = .seconds(1800)

  func add(to router: Router<BasicRequestContext>) {
    router.post("/v1/chat/completions") { request, _ in
      let desk = try access.desk(of: request)
      guard let body = try await jsonBody(request).objectValue else {
        throw APIError.invalidRequest("the body must be a JSON object")
      }
      let stream = body["stream"]?.boolValue ?? false
      var fields = JSONObject()
      for (key, value) in body.pairs where key != "stream" && key != "stream_options" { fields[key] = value }
      let chat: ChatRequest
      do {
        chat = try OpenAIBatchInput.request(fromBody: fields, customID: nil, at: "body")
        try StructuredSchema.check(chat)
      } catch {
        throw APIError.invalidRequest("\(error)")
      }
      let spec = JobSpec(requests: [chat], priority: .high, desk: DeskScope.queueDesk(desk))
      let job = try await store.perform { try $0.submit([spec]).jobs[0].id }
      guard stream else { return JSONResponse.make(try await answer(job)) }
      return Response(
        status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
        body: ResponseBody { writer in
          let body = try await answer(job) { try await writer.write(ByteBuffer(string: ": waiting for a worker\n\n")) }
          for chunk in Self.chunks(of: body) {
            try await writer.write(ByteBuffer(string: "data: " + JSONWriter.string(chunk) + "\n\n"))
          }
          try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
          try await writer.finish(nil)
        })
    }
  }

  /// Waits for the job and returns its chat.completion body, or throws its error.
  private func answer(_ job: String, heartbeat: () async throws -> Void = {}) async throws -> JSONValue {
    let started = ContinuousClock.now
    var lastBeat = started
    while true {
      let records = try await store.perform { try $0.records([job]) }
      if let record = records.first, record.state.isFinished, let line = OpenAIBatchOutput.lines(record).first {
        if let body = line["response"]?["body"] { return body }
        throw APIError.server(line["error"]?["message"]?.stringValue ?? "the request failed")
      }
      if ContinuousClock.now - started > Self.maxWait {
        throw APIError.server("no worker answered within \(Self.maxWait); job \(job) stays in the queue",
                              status: .gatewayTimeout)
      }
      if ContinuousClock.now - lastBeat > .seconds(5) {
        try await heartbeat()
        lastBeat = .now
      }
      try await Task.sleep(for: .milliseconds(100))
    }
  }

  /// A chat.completion as OpenAI's stream of chat.completion.chunk objects.
  static func chunks(of completion: JSONValue) -> [JSONValue] {
    let choice = completion["choices"]?.arrayValue?.first
    let message = choice?["message"]
    func chunk(_ delta: JSONValue, finish: JSONValue) -> JSONValue {
      [
        "id": completion["id"] ?? .null, "object": "chat.completion.chunk", "created": completion["created"] ?? .null,
        "model": completion["model"] ?? .null, "system_fingerprint": completion["system_fingerprint"] ?? .null,
        "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]],
      ]
    }
    var delta = JSONObject(["role": "assistant", "content": message?["content"] ?? ""])
    if let reasoning = message?["reasoning_content"] { delta["reasoning_content"] = reasoning }
    var last = chunk([:], finish: choice?["finish_reason"] ?? "stop")
    if case .object(var object) = last {
      object["usage"] = completion["usage"] ?? .null
      last = .object(object)
    }
    return [chunk(.object(delta), finish: nil), last]
  }
}
