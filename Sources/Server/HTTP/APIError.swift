import Hummingbird
import NightdeskSupport

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`,
/// so a desk's OpenAI client raises its usual exception with our message in it.
public struct APIError: Error, Sendable, CustomStringConvertible {
  public var status: HTTPResponse.Status
  public var message: String
  /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `server_error`.
  public var type: String
  /// The request field at fault, when there is one.
  public var param: String?
  public var code: String?

  public var description: String { message }

  static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
    APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
  }

  /// Missing, and also another desk's: a desk cannot tell the two apart.
  static func notFound(_ kind: String, _ id: String, param: String = "id") -> APIError {
    APIError(status: .notFound, message: "No such \(kind): \(id)", type: "invalid_request_error", param: param,
             code: "not_found")
  }

  static func unauthorized(_ message: String) -> APIError {
    APIError(status: .unauthorized, message: message, type: "invalid_request_error", param: nil, code: "invalid_api_key")
  }

  static func tooLarge(_ message: String) -> APIError {
    APIError(status: .contentTooLarge, message: message, type: "invalid_request_error", param: "file", code: "file_too_large")
  }

  static func server(_ message: String, status: HTTPResponse.Status = .internalServerError) -> APIError {
    APIError(status: status, message: message, type: "server_error", param: nil, code: nil)
  }

  var json: JSONValue {
    [
      "error": [
        "message": .string(message), "type": .string(type),
        "param": param.map { .string($0) } ?? .null, "code": code.map { .string($0) } ?? .null,
      ]
    ]
  }

  var response: Response { JSONResponse.make(json, status: status) }
}

/// JSON bodies out.
enum JSONResponse {
  static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    let text = JSONWriter.string(value) + "\n"
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}
