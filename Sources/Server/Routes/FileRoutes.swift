import Hummingbird
import NIOCore
import NightdeskSupport

/// `/v1/files`: upload (multipart, `purpose=batch`), read, download, delete, list.
struct FileRoutes {
  let store: ServerStore
  let access: AccessPolicy
  let limits: ServerLimits

  func add(to router: Router<BasicRequestContext>) {
    router.post("/v1/files") { request, _ in try await upload(request) }
    router.get("/v1/files") { request, _ in
      let desk = try access.desk(of: request)
      let limit = try listLimit(request, default: 10_000, max: 10_000)
      let files = try await store.perform { try BatchStore(queue: $0).files.list(desk: desk, limit: limit) }
      return JSONResponse.make(["object": "list", "data": .array(files.map(\.json)), "has_more": false])
    }
    router.get("/v1/files/:id") { request, context in
      let desk = try access.desk(of: request)
      let id = try context.parameters.require("id")
      guard let file = try await store.perform({ try BatchStore(queue: $0).files.get(id, desk: desk) }) else {
        throw APIError.notFound("File", id)
      }
      return JSONResponse.make(file.json)
    }
    router.get("/v1/files/:id/content") { request, context in
      let desk = try access.desk(of: request)
      let id = try context.parameters.require("id")
      guard let content = try await store.perform({ try BatchStore(queue: $0).files.content(id, desk: desk) }) else {
        throw APIError.notFound("File", id)
      }
      return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                      body: ResponseBody(byteBuffer: ByteBuffer(bytes: content)))
    }
    router.delete("/v1/files/:id") { request, context in
      let desk = try access.desk(of: request)
      let id = try context.parameters.require("id")
      guard try await store.perform({ try BatchStore(queue: $0).files.delete(id, desk: desk) }) else {
        throw APIError.notFound("File", id)
      }
      return JSONResponse.make(["id": .string(id), "object": "file", "deleted": true])
    }
  }

  private func upload(_ request: Request) async throws -> Response {
    let desk = try access.desk(of: request)
    let tooLarge = APIError.tooLarge(
      "a file may hold at most \(ByteCount.format(limits.maxFileBytes)) on this server (--max-file-size); split it")
    // The form's own lines around the file.
    let maxBody = limits.maxFileBytes + 64 * 1024
    if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBody { throw tooLarge }
    guard let boundary = MultipartForm.boundary(contentType: request.headers[.contentType]) else {
      throw APIError.invalidRequest("expected a multipart/form-data body with the fields `purpose` and `file`")
    }
    var request = request
    let body: ByteBuffer
    do { body = try await request.collectBody(upTo: maxBody) } catch is NIOTooManyBytesError { throw tooLarge }
    let form = try MultipartForm(body: Array(buffer: body), boundary: boundary)
    guard let purpose = form.text("purpose") else {
      throw APIError.invalidRequest("the form field `purpose` is missing (use \"batch\")", param: "purpose")
    }
    guard purpose == "batch" else {
      throw APIError.invalidRequest("purpose '\(purpose)' is not supported; use \"batch\"", param: "purpose")
    }
    guard let part = form.part("file") else {
      throw APIError.invalidRequest("the form field `file` is missing", param: "file")
    }
    guard part.content.count <= limits.maxFileBytes else { throw tooLarge }
    let content = Array(part.content)
    let filename = part.filename ?? "upload.jsonl"
    let file = try await store.perform { client in
      let store = BatchStore(queue: client)
      return try store.files.create(content: content, filename: filename, purpose: purpose, desk: desk, now: try store.now)
    }
    return JSONResponse.make(file.json)
  }
}

/// `?limit=N` within 1...max.
func listLimit(_ request: Request, default fallback: Int, max: Int) throws(APIError) -> Int {
  guard let text = request.uri.queryParameters["limit"] else { return fallback }
  guard let limit = Int(text), (1...max).contains(limit) else {
    throw .invalidRequest("limit must be a whole number from 1 to \(max)", param: "limit")
  }
  return limit
}
