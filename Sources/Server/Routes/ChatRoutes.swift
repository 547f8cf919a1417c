import Hummingbird
import NightdeskQueue
import NightdeskRequests
import NightdeskStructured
import NightdeskSupport

/// `POST /v1/chat/completions`: one request, queued at high priority like any job (so
/// it runs on the night's workers, ahead of the batches), answered when a worker has
/// finished it. With `stream: true` the job asks its worker to publish the text as it
/// is generated, and the answer comes as server-sent events token by token
/// (`ChatStream`); a client that goes away cancels the job.
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
      let includeUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
      var fields = JSONObject()
      for (key, value) in body.pairs where key != "stream" && key != "stream_options" { fields[key] = value }
      let chat: ChatRequest
      do {
        chat = try OpenAIBatchInput.request(fromBody: fields, customID: nil, at: "body")
        try StructuredSchema.check(chat)
      } catch {
        throw APIError.invalidRequest("\(error)")
      }
      var spec = JobSpec(requests: [chat], priority: .high, desk: DeskScope.queueDesk(desk))
      spec.stream = stream
      let job = try await store.perform { [spec] in try $0.submit([spec]).jobs[0].id }
      guard stream else { return JSONResponse.make(try await answer(job)) }
      return Response(
        status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
        body: ResponseBody { [store] writer in
          let reader = LiveReader(job: job, url: store.pool.url, keys: store.keys)
          defer { reader.close() }
          var events = ChatStream(job: job, store: store, reader: reader, includeUsage: includeUsage, maxWait: Self.maxWait)
          do {
            try await events.run(&writer)
          } catch {
            // The client went away (or Redis did): no one is left to read the answer.
            _ = try? await store.perform { try $0.cancel(target: job) }
            throw error
          }
          try await writer.finish(nil)
        })
    }
  }

  /// Waits for the job and returns its chat.completion body, or throws its error.
  private func answer(_ job: String) async throws -> JSONValue {
    let started = ContinuousClock.now
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
      try await Task.sleep(for: .milliseconds(100))
    }
  }
}
