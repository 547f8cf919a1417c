import Foundation
import Hummingbird
import Logging
import Metrics

/// One access-log line per request (method, path, status, milliseconds, desk) and the
/// request metrics (`nightdesk_http_requests_total{route,status}`, the latency histogram
/// `nightdesk_http_request_duration_seconds{route}`). Outermost, so it sees the status
/// `OpenAIErrorMiddleware` made of an error.
///
/// Never the API key: the line names the desk the key stands for, and the path without
/// its query. The time is until the response's head (a stream's events come after).
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
  let access: AccessPolicy
  let logger: Logger

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let started = ContinuousClock.now
    do {
      let response = try await next(request, context)
      record(request, context: context, status: response.status.code, since: started)
      return response
    } catch {
      record(request, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
      throw error
    }
  }

  private func record(_ request: Request, context: Context, status: Int, since started: ContinuousClock.Instant) {
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    // A request the router matched is counted by its route (`/v1/batches/{id}`), so ids do
    // not make a series each; anything else under one name.
    let route = context.endpointPath ?? "unmatched"
    Counter(label: "nightdesk_http_requests_total", dimensions: [("route", route), ("status", String(status))]).increment()
    Metrics.Timer(label: "nightdesk_http_request_duration_seconds", dimensions: [("route", route)])
      .recordNanoseconds(Int64(seconds * 1e9))
    let desk = (try? access.desk(of: request)) ?? "-"
    logger.info("\(request.method) \(request.uri.path) \(status)", metadata: [
      "method": "\(request.method)", "path": "\(request.uri.path)", "status": .stringConvertible(status),
      "ms": .stringConvertible((seconds * 1000 * 10).rounded() / 10), "desk": "\(desk)",
    ])
  }
}
