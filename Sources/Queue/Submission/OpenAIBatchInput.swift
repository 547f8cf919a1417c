import NightdeskRequests
import NightdeskSupport

/// Reads an OpenAI Batch API input file: JSONL, one chat-completion request per line,
///
///     {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions",
///      "body": {"model": "...", "messages": [...], "max_tokens": 200, "temperature": 0}}
///
/// Each line is validated on its own; a bad line (or a repeated `custom_id`) is
/// rejected with its number and the rest go ahead. Accepted requests that share
/// their leading messages (system prompt and document) are grouped into one job,
/// so a worker reads the document once for all its questions.
public enum OpenAIBatchInput {
  public static let endpoint = "/v1/chat/completions"
  /// Body fields we honour; anything else changes what the caller expects and is refused.
  static let supportedBodyFields: Set<String> = [
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "n", "user",
    "stream", "metadata", "response_format", "chat_template_kwargs",
  ]

  /// `check` refuses a request the queue cannot judge alone (a `response_format` schema
  /// outside the structured-output subset; a `RequestError` names its own field, such as
  /// a prompt too long for the model's context); its error rejects the line.
  public static func parse(
    _ bytes: [UInt8], defaults: JobDefaults = JobDefaults(), check: (ChatRequest) throws -> Void = { _ in }
  ) -> SubmissionInput {
    var requests: [ChatRequest] = []
    var rejected: [SubmissionInput.Rejection] = []
    var seen = Set<String>()
    var lineNumber = 0
    var start = 0
    while start < bytes.count {
      var end = start
      while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
      lineNumber += 1
      let line = bytes[start..<end]
      start = end + 1
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      if requests.count + rejected.count >= SubmissionLimits.maxLines {
        rejected.append(.init(line: lineNumber, error: "more than \(SubmissionLimits.maxLines) requests in one file; split it"))
        break
      }
      do throws(RequestError) {
        guard line.count <= SubmissionLimits.maxLineBytes else {
          throw RequestError("line", "is \(line.count) bytes; at most \(SubmissionLimits.maxLineBytes) are allowed")
        }
        let request = try parseLine(line)
        do { try check(request) } catch let refusal as RequestError { throw refusal } catch {
          throw RequestError("body.response_format", "\(error)")
        }
        if let id = request.customID, !seen.insert(id).inserted {
          throw RequestError("custom_id", "'\(id)' was already used on an earlier line; custom_ids must be unique")
        }
        requests.append(request)
      } catch {
        rejected.append(.init(line: lineNumber, error: error.description))
      }
    }
    return SubmissionInput(jobs: group(requests, defaults: defaults), rejected: rejected)
  }

  static func parseLine(_ line: ArraySlice<UInt8>) throws(RequestError) -> ChatRequest {
    let json: JSONValue
    do { json = try JSONParser.parse(line) } catch { throw RequestError("line", "is not valid JSON: \(error)") }
    guard let object = json.objectValue else { throw RequestError("line", "must be a JSON object, found \(json.kindName)") }
    guard let customID = object["custom_id"]?.stringValue else {
      throw RequestError("custom_id", "is missing or not a string")
    }
    if let method = object["method"] {
      guard method.stringValue == "POST" else { throw RequestError("method", "must be \"POST\"") }
    }
    guard let url = object["url"]?.stringValue else { throw RequestError("url", "is missing (expected \"\(endpoint)\")") }
    guard url == endpoint else { throw RequestError("url", "is '\(url)'; only \(endpoint) is supported") }
    guard let body = object["body"]?.objectValue else { throw RequestError("body", "is missing or not an object") }
    if let stream = body["stream"], stream.boolValue != false { throw RequestError("body.stream", "must be false in a batch") }
    return try request(fromBody: body, customID: customID, at: "body")
  }

  /// A chat-completion request body (a batch line's `body`, or the body of `POST
  /// /v1/chat/completions`, whose `stream` the caller handles).
  public static func request(fromBody body: JSONObject, customID: String?, at path: String) throws(RequestError) -> ChatRequest {
    for key in body.keys where !supportedBodyFields.contains(key) {
      throw RequestError("\(path).\(key)", "is not supported (supported: \(supportedBodyFields.sorted().joined(separator: ", ")))")
    }
    if let n = body["n"], n.intValue != 1 { throw RequestError("\(path).n", "must be 1") }
    if let model = body["model"], model.stringValue == nil { throw RequestError("\(path).model", "must be a string") }
    var request = try ChatRequest(
      customID: customID, messagesJSON: body["messages"], samplingObject: body, model: body["model"]?.stringValue,
      at: path)
    try request.readOptions(from: body, at: path)
    return request
  }

  /// Requests with the same leading messages and model become one job (in order of
  /// first appearance), at most `maxRequestsPerJob` each.
  static func group(_ requests: [ChatRequest], defaults: JobDefaults) -> [JobSpec] {
    var order: [String] = []
    var groups: [String: [ChatRequest]] = [:]
    for request in requests {
      let key = PrefixHash.of(Array(request.messages.dropLast())) + "|" + (request.model ?? "")
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(request)
    }
    var jobs: [JobSpec] = []
    for key in order {
      let members = groups[key] ?? []
      var start = 0
      while start < members.count {
        let end = min(start + SubmissionLimits.maxRequestsPerJob, members.count)
        jobs.append(JobSpec(
          requests: Array(members[start..<end]), priority: defaults.priority, desk: defaults.desk,
          deadline: defaults.deadline, maxAttempts: defaults.maxAttempts))
        start = end
      }
    }
    return jobs
  }
}
