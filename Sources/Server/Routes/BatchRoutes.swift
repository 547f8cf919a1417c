import Hummingbird
import NIOCore
import NightdeskSupport

/// `/v1/batches`: create from an uploaded file, read, cancel, list.
struct BatchRoutes {
  let store: ServerStore
  let access: AccessPolicy

  func add(to router: Router<BasicRequestContext>) {
    router.post("/v1/batches") { request, _ in
      let desk = try access.desk(of: request)
      let asked = try BatchRequest(json: try await jsonBody(request))
      let contexts = store.contexts
      let batch = try await store.perform { queue in
        try BatchStore(queue: queue).create(asked, desk: desk, fitting: try contexts.fits(queue))
      }
      return JSONResponse.make(batch.json)
    }
    router.get("/v1/batches/:id") { request, context in
      try await oneBatch(request, context) { store, id, desk in try store.get(id, desk: desk) }
    }
    router.post("/v1/batches/:id/cancel") { request, context in
      try await oneBatch(request, context) { store, id, desk in try store.cancel(id, desk: desk) }
    }
    router.get("/v1/batches") { request, _ in
      let desk = try access.desk(of: request)
      let limit = try listLimit(request, default: 20, max: 100)
      let after = request.uri.queryParameters["after"].map(String.init)
      let page = try await store.perform { try BatchStore(queue: $0).list(desk: desk, after: after, limit: limit) }
      return JSONResponse.make([
        "object": "list", "data": .array(page.batches.map(\.json)),
        "first_id": page.batches.first.map { .string($0.id) } ?? .null,
        "last_id": page.batches.last.map { .string($0.id) } ?? .null, "has_more": .bool(page.hasMore),
      ])
    }
  }
}

extension BatchRoutes {
  /// The batch the path names, read or changed by `operation`; 404 when it is missing or another desk's.
  func oneBatch(
    _ request: Request, _ context: BasicRequestContext,
    _ operation: @escaping @Sendable (BatchStore, String, String) throws -> BatchRecord?
  ) async throws -> Response {
    let desk = try access.desk(of: request)
    let id = try context.parameters.require("id")
    guard let batch = try await store.perform({ try operation(BatchStore(queue: $0), id, desk) }) else {
      throw APIError.notFound("Batch", id)
    }
    return JSONResponse.make(batch.json)
  }
}

/// A JSON request body (1 MiB at most).
func jsonBody(_ request: Request) async throws -> JSONValue {
  var request = request
  let body: ByteBuffer
  do { body = try await request.collectBody(upTo: 1 << 20) } catch is NIOTooManyBytesError {
    throw APIError(status: .contentTooLarge, message: "the JSON body is larger than 1 MiB", type: "invalid_request_error",
                   param: nil, code: nil)
  }
  do { return try JSONParser.parse(Array(buffer: body)) } catch {
    throw APIError.invalidRequest("the body is not valid JSON: \(error)")
  }
}
