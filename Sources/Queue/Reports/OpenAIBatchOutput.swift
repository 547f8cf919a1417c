import NightdeskSupport

/// Lines of an OpenAI Batch API output file, one per request of a finished job:
///
///     {"id": "batch_req_...", "custom_id": "r1",
///      "response": {"status_code": 200, "request_id": "...", "body": <chat.completion>},
///      "error": null}
///
/// and, for a request whose job failed, was cancelled or dead-lettered, or that failed
/// on its own (`invalid_request`), `"response": null` with `"error": {"code": ..., "message": ...}`.
public enum OpenAIBatchOutput {
  public static func lines(_ record: JobRecord) -> [JSONValue] {
    guard record.state.isFinished, let spec = record.spec else { return [] }
    return spec.requests.enumerated().map { index, request in
      let requestID = "\(record.id)-\(index)"
      var line = JSONObject()
      line["id"] = .string("batch_req_" + requestID)
      line["custom_id"] = request.customID.map { .string($0) } ?? .null
      // A request that failed on its own; one whose output broke its schema keeps its text below.
      if record.state == .succeeded, let result = record.result, let answer = result.requests[safe: index],
        let error = answer.error, answer.finishReason == "error"
      {
        line["response"] = .null
        line["error"] = ["code": "invalid_request", "message": .string(error)]
      } else if record.state == .succeeded, let result = record.result, let answer = result.requests[safe: index] {
        line["response"] = [
          "status_code": 200, "request_id": .string(requestID),
          "body": completion(answer, id: requestID, result: result),
        ]
        line["error"] = .null
      } else {
        line["response"] = .null
        line["error"] = [
          "code": .string(errorCode(record.state)),
          "message": .string(record.error.isEmpty ? "the job ended \(record.state.rawValue)" : record.error),
        ]
      }
      return .object(line)
    }
  }

  /// `model` names the model that answered (its file) and `system_fingerprint` its
  /// digest, never the name the request asked for: a desk reading the output must know
  /// what really wrote each answer.
  static func completion(_ answer: RequestResult, id: String, result: JobResult) -> JSONValue {
    // OpenAI's finish reasons are stop, length, content_filter, tool_calls.
    let reason = answer.finishReason == "length" ? "length" : "stop"
    var message = JSONObject(["role": "assistant", "content": .string(answer.text), "refusal": nil])
    if let reasoning = answer.reasoning { message["reasoning_content"] = .string(reasoning) }
    return [
      "id": .string("chatcmpl-" + id), "object": "chat.completion", "created": .int(Int64(result.finishedAt)),
      "model": .string(result.executor.model),
      "choices": [
        [
          "index": 0, "message": .object(message),
          "logprobs": nil, "finish_reason": .string(reason),
        ]
      ],
      "usage": [
        "prompt_tokens": .int(Int64(answer.promptTokens)), "completion_tokens": .int(Int64(answer.generatedTokens)),
        "total_tokens": .int(Int64(answer.promptTokens + answer.generatedTokens)),
        "prompt_tokens_details": ["cached_tokens": .int(Int64(answer.reusedTokens))],
      ],
      "system_fingerprint": .string(result.executor.modelDigest),
    ]
  }

  static func errorCode(_ state: JobState) -> String {
    switch state {
    case .cancelled: return "cancelled"
    case .dead: return "max_attempts_exceeded"
    default: return "job_failed"
    }
  }
}
