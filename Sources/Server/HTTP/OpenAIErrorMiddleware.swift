import Hummingbird
import NIOCore
import NightdeskQueue
import NightdeskRedis

/// Turns every error a handler throws (and the router's own 404 and 405) into OpenAI's
/// error shape, so no 4xx or 5xx leaves the server as a bare status line.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    do {
      return try await next(request, context)
    } catch {
      let apiError = Self.apiError(error, request: request)
      if apiError.status.code >= 500 {
        context.logger.error("\(request.method) \(request.uri.path): \(apiError.message)")
      }
      return apiError.response
    }
  }

  static func apiError(_ error: any Error, request: Request) -> APIError {
    switch error {
    case let error as APIError:
      return error
    case is NIOTooManyBytesError:
      return .tooLarge("the request body is larger than this server accepts")
    case let error as QueueError:
      switch error.kind {
      case .invalidArgument, .conflict: return .invalidRequest(error.message)
      case .notFound: return APIError(status: .notFound, message: error.message, type: "invalid_request_error",
                                      param: nil, code: "not_found")
      default: return .server("the queue's Redis failed: \(error.message)", status: .serviceUnavailable)
      }
    case let error as RedisError:
      return .server("the queue's Redis failed: \(error)", status: .serviceUnavailable)
    case let error as HTTPError where error.status == .notFound:
      return APIError(status: .notFound, message: "Unknown request URL: \(request.method) \(request.uri.path)",
                      type: "invalid_request_error", param: nil, code: "unknown_url")
    case let error as HTTPError:
      return APIError(status: error.status, message: error.body ?? error.status.reasonPhrase,
                      type: error.status.code >= 500 ? "server_error" : "invalid_request_error", param: nil, code: nil)
    default:
      return .server("internal error: \(error)")
    }
  }
}
