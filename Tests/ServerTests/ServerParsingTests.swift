import NightdeskSupport
import Testing

@testable import NightdeskServer

/// The server's own readers: the keys file, multipart uploads, batch requests.
struct ServerParsingTests {
  @Test func keysFileMapsKeysToDesksAndNamesItsBadLines() throws {
    let keys = try APIKeys.parse("# desks\nsk-credit-0123456789ab credit\n\n  sk-macro-0123456789abc\tmacro  \n", source: "keys")
    #expect(keys.desk(for: "sk-credit-0123456789ab") == "credit")
    #expect(keys.desk(for: "sk-macro-0123456789abc") == "macro")
    #expect(keys.desk(for: "sk-credit-0123456789a") == nil)
    #expect(keys.desk(for: "") == nil)
    let bad: [(String, String)] = [
      ("sk-credit-0123456789ab\n", "keys: line 1: expected `KEY DESK`"),
      ("# k\nshort credit\n", "keys: line 2: the key is shorter than 16 characters"),
      ("sk-credit-0123456789ab cr/edit\n", "keys: line 1: desk 'cr/edit'"),
      ("sk-credit-0123456789ab a\nsk-credit-0123456789ab b\n", "keys: line 2: this key was already given"),
      ("# nothing\n", "keys: no keys"),
    ]
    for (text, expected) in bad {
      #expect(throws: APIKeysError.self) { try APIKeys.parse(text, source: "keys") }
      do { _ = try APIKeys.parse(text, source: "keys") } catch {
        #expect("\(error)".hasPrefix(expected), "\(error)")
        #expect(!"\(error)".contains("sk-credit"), "a key must never be printed")
      }
    }
  }

  @Test func multipartFormReadsFieldsAndFiles() throws {
    let body = Array((
      "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
        + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n{\"a\": 1}\r\n--X\r\n{\"b\": 2}\n\r\n--XyZ--\r\n").utf8)
    #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"XyZ\"") == "XyZ")
    #expect(MultipartForm.boundary(contentType: "application/json") == nil)
    let form = try MultipartForm(body: body, boundary: "XyZ")
    #expect(form.text("purpose") == "batch")
    #expect(form.part("file")?.filename == "in.jsonl")
    // A line that starts like the boundary, but is not it, stays in the file.
    #expect(form.text("file") == "{\"a\": 1}\r\n--X\r\n{\"b\": 2}\n")
    #expect(throws: APIError.self) { try MultipartForm(body: Array("no boundary".utf8), boundary: "XyZ") }
    #expect(throws: APIError.self) {
      try MultipartForm(body: Array("--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nunclosed".utf8), boundary: "XyZ")
    }
  }

  @Test func batchRequestChecksEndpointWindowAndMetadata() throws {
    let good = try BatchRequest(json: try JSONParser.parse(
      #"{"input_file_id": "file-1", "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": {"k": "v"}}"#))
    #expect(good.windowSeconds == 86_400 && good.metadata["k"] == "v")
    #expect(BatchRequest.windowSeconds("90m") == 5_400 && BatchRequest.windowSeconds("30s") == 30)
    for window in ["24", "0h", "-1h", "8d", "h", "1.5h"] { #expect(BatchRequest.windowSeconds(window) == nil, "\(window)") }
    let refused: [(String, String)] = [
      (#"{"endpoint": "/v1/chat/completions", "completion_window": "24h"}"#, "input_file_id"),
      (#"{"input_file_id": "f", "endpoint": "/v1/embeddings", "completion_window": "24h"}"#, "endpoint"),
      (#"{"input_file_id": "f", "endpoint": "/v1/chat/completions", "completion_window": "soon"}"#, "completion_window"),
      (#"{"input_file_id": "f", "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": [1]}"#, "metadata"),
    ]
    for (json, param) in refused {
      let body = try JSONParser.parse(json)
      do {
        _ = try BatchRequest(json: body)
        Issue.record("accepted \(json)")
      } catch {
        #expect(error.param == param && error.status.code == 400, "\(json): \(error)")
      }
    }
  }
}
