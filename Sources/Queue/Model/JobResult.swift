import NightdeskRequests
import NightdeskSupport

/// The answer to one request, with what it cost and what reproduces it.
public struct RequestResult: Sendable, Equatable {
  public var customID: String?
  public var text: String
  /// "stop", "length" (OpenAI's names), "cancelled", or "error" (see `error`).
  public var finishReason: String
  public var promptTokens: Int
  /// Prompt tokens whose KV came from the engine's prefix cache.
  public var reusedTokens: Int
  public var generatedTokens: Int
  /// The sampling actually used; `seed` is the effective seed even when the request set none.
  public var sampling: SamplingParameters
  public var queueSeconds: Double
  public var firstTokenSeconds: Double?
  public var totalSeconds: Double
  /// Why this request alone failed (it could not be encoded, was too long, ...), with
  /// `finishReason` "error" and no text; its siblings in the job are unaffected. For a
  /// `response_format` request whose output is not schema-valid after all (cut by
  /// max_tokens), the validation error, with the finish reason and the text kept.
  public var error: String?
  /// The answer parsed as JSON, for a `response_format` request whose text is schema-valid.
  public var structured: JSONValue?
  /// A `response_format` answer that the budget closed: schema-valid, but written shorter
  /// (the mask took tokens away so that it could end) because `max_tokens` was running
  /// out; the finish reason is whatever ended it. Stored as `closed_by_budget: true`,
  /// absent otherwise.
  public var closedByBudget: Bool
  /// The model's think block (Qwen3), kept apart from `text`, which never holds it.
  public var reasoning: String?
  /// For a document's synthesis: how its reduce went (`ReduceStages`); nil for other requests.
  public var reduce: ReduceStages?

  public init(
    customID: String?, text: String, finishReason: String, promptTokens: Int, reusedTokens: Int, generatedTokens: Int,
    sampling: SamplingParameters, queueSeconds: Double = 0, firstTokenSeconds: Double? = nil, totalSeconds: Double = 0,
    error: String? = nil, structured: JSONValue? = nil, reasoning: String? = nil, closedByBudget: Bool = false
  ) {
    self.customID = customID
    self.text = text
    self.finishReason = finishReason
    self.promptTokens = promptTokens
    self.reusedTokens = reusedTokens
    self.generatedTokens = generatedTokens
    self.sampling = sampling
    self.queueSeconds = queueSeconds
    self.firstTokenSeconds = firstTokenSeconds
    self.totalSeconds = totalSeconds
    self.error = error
    self.structured = structured
    self.reasoning = reasoning
    self.closedByBudget = closedByBudget
  }

  /// A request that failed on its own: no text, the reason kept.
  public static func failed(customID: String?, sampling: SamplingParameters, error: String) -> RequestResult {
    RequestResult(customID: customID, text: "", finishReason: "error", promptTokens: 0, reusedTokens: 0,
                  generatedTokens: 0, sampling: sampling, error: error)
  }

  public var json: JSONValue {
    var object = JSONObject()
    if let customID { object["custom_id"] = .string(customID) }
    object["text"] = .string(text)
    object["finish_reason"] = .string(finishReason)
    object["usage"] = [
      "prompt_tokens": .int(Int64(promptTokens)), "reused_tokens": .int(Int64(reusedTokens)),
      "generated_tokens": .int(Int64(generatedTokens)),
    ]
    object["sampling"] = sampling.json
    var timings = JSONObject()
    timings["queue_s"] = .double(queueSeconds)
    if let firstTokenSeconds { timings["first_token_s"] = .double(firstTokenSeconds) }
    timings["total_s"] = .double(totalSeconds)
    object["timings"] = .object(timings)
    if let error { object["error"] = .string(error) }
    if let structured { object["structured"] = structured }
    if closedByBudget { object["closed_by_budget"] = true }
    if let reasoning { object["reasoning"] = .string(reasoning) }
    if let reduce {
      object["reduce_stages"] = .int(Int64(reduce.count))
      if reduce.count > 1 {
        object["reduce_usage"] = [
          "prompt_tokens": .int(Int64(reduce.promptTokens)), "generated_tokens": .int(Int64(reduce.generatedTokens)),
        ]
      }
    }
    return .object(object)
  }

  public init(json: JSONValue) throws(RequestError) {
    let usage = json["usage"]
    let timings = json["timings"]
    guard let text = json["text"]?.stringValue, let reason = json["finish_reason"]?.stringValue else {
      throw RequestError("result", "lacks text or finish_reason")
    }
    self.init(
      customID: json["custom_id"]?.stringValue, text: text, finishReason: reason,
      promptTokens: usage?["prompt_tokens"]?.intValue ?? 0, reusedTokens: usage?["reused_tokens"]?.intValue ?? 0,
      generatedTokens: usage?["generated_tokens"]?.intValue ?? 0,
      sampling: try SamplingParameters(json: json["sampling"]?.objectValue ?? JSONObject(), at: "result.sampling"),
      queueSeconds: timings?["queue_s"]?.doubleValue ?? 0, firstTokenSeconds: timings?["first_token_s"]?.doubleValue,
      totalSeconds: timings?["total_s"]?.doubleValue ?? 0, error: json["error"]?.stringValue,
      structured: json["structured"], reasoning: json["reasoning"]?.stringValue,
      closedByBudget: json["closed_by_budget"] == .bool(true))
    reduce = json["reduce_stages"]?.intValue.map { count in
      ReduceStages(count: count, promptTokens: json["reduce_usage"]?["prompt_tokens"]?.intValue ?? 0,
                   generatedTokens: json["reduce_usage"]?["generated_tokens"]?.intValue ?? 0)
    }
  }
}

/// How a document's synthesis was reduced: in one stage when the chunks' answers fitted the
/// context at once, else in runs first, whose partial syntheses cost tokens that the
/// result's own usage (the final synthesis's) leaves out. Stored as `reduce_stages` and,
/// after more than one stage, `reduce_usage` (`prompt_tokens`, `generated_tokens`).
public struct ReduceStages: Sendable, Equatable {
  public var count: Int
  /// Tokens of the partial syntheses (0 for one stage).
  public var promptTokens: Int
  public var generatedTokens: Int

  public init(count: Int, promptTokens: Int = 0, generatedTokens: Int = 0) {
    self.count = count
    self.promptTokens = promptTokens
    self.generatedTokens = generatedTokens
  }
}

/// What produced a result: enough to run it again and get the same tokens.
public struct ExecutorIdentity: Sendable, Equatable {
  /// The model's name or file (e.g. `SmolLM2-135M-Instruct.Q4_1.gguf`).
  public var model: String
  /// A digest of the model file's contents.
  public var modelDigest: String
  /// A digest of the chat template that turned messages into tokens.
  public var templateDigest: String

  public init(model: String, modelDigest: String, templateDigest: String) {
    self.model = model
    self.modelDigest = modelDigest
    self.templateDigest = templateDigest
  }
}

/// A job's stored result: one entry per request, in the job's order, and the
/// attempt that produced them. Written once (the fencing token decides which attempt).
public struct JobResult: Sendable, Equatable {
  public var job: String
  public var batch: String
  public var attempt: Int
  public var worker: String
  public var executor: ExecutorIdentity
  /// Unix times in seconds.
  public var startedAt: Double
  public var finishedAt: Double
  public var requests: [RequestResult]

  public init(
    job: String, batch: String, attempt: Int, worker: String, executor: ExecutorIdentity, startedAt: Double,
    finishedAt: Double, requests: [RequestResult]
  ) {
    self.job = job
    self.batch = batch
    self.attempt = attempt
    self.worker = worker
    self.executor = executor
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.requests = requests
  }

  /// Tokens the job cost (a staged synthesis's earlier stages included): the batch's totals.
  public var promptTokens: Int { requests.reduce(0) { $0 + $1.promptTokens + ($1.reduce?.promptTokens ?? 0) } }
  public var generatedTokens: Int {
    requests.reduce(0) { $0 + $1.generatedTokens + ($1.reduce?.generatedTokens ?? 0) }
  }
  public var reusedTokens: Int { requests.reduce(0) { $0 + $1.reusedTokens } }

  public var json: JSONValue {
    [
      "job": .string(job), "batch": .string(batch), "attempt": .int(Int64(attempt)), "worker": .string(worker),
      "model": .string(executor.model), "model_digest": .string(executor.modelDigest),
      "template_digest": .string(executor.templateDigest), "started_at": .double(startedAt),
      "finished_at": .double(finishedAt), "requests": .array(requests.map(\.json)),
    ]
  }

  public init(json: JSONValue) throws(RequestError) {
    guard let job = json["job"]?.stringValue, let batch = json["batch"]?.stringValue,
      let items = json["requests"]?.arrayValue
    else { throw RequestError("result", "lacks job, batch or requests") }
    var requests: [RequestResult] = []
    for item in items { requests.append(try RequestResult(json: item)) }
    self.init(
      job: job, batch: batch, attempt: json["attempt"]?.intValue ?? 0, worker: json["worker"]?.stringValue ?? "",
      executor: ExecutorIdentity(
        model: json["model"]?.stringValue ?? "", modelDigest: json["model_digest"]?.stringValue ?? "",
        templateDigest: json["template_digest"]?.stringValue ?? ""),
      startedAt: json["started_at"]?.doubleValue ?? 0, finishedAt: json["finished_at"]?.doubleValue ?? 0,
      requests: requests)
  }
}
