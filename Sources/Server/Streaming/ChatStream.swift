import Foundation
import Hummingbird
import NightdeskQueue
import NightdeskSupport
import NightdeskTokenizer

/// One streamed chat completion, as OpenAI's clients read it: `chat.completion.chunk`
/// objects as server-sent events, the first with the role, then the answer's text as
/// the worker generates it (`LiveReader`), a last chunk with `finish_reason`, the usage
/// alone when `stream_options.include_usage` asked for it, and `data: [DONE]`.
///
/// The stored result is the truth: the text already sent must begin it, and what the
/// live stream missed (entries lost or capped, a worker that does not stream) goes out
/// from it before the last chunk. The stream follows the job's latest attempt: an
/// attempt that lost its lease is ignored once a newer one speaks, and when the newer
/// one starts after text was sent, the stream ends with an error instead of telling
/// the client anything twice.
struct ChatStream {
  let job: String
  let store: ServerStore
  let reader: LiveReader
  let includeUsage: Bool
  let maxWait: Duration
  private let created = Int64(Date().timeIntervalSince1970)
  private var followed: (attempt: Int, token: Int64)?
  private var model: JSONValue = .null
  private var thinking = ThinkingStream()
  private var roleSent = false
  private var sentContent = ""
  private var sentReasoning = ""
  private var lastWrite = ContinuousClock.now

  /// Keep-alive comments while nothing else is written, so proxies keep the connection
  /// (and a client that left is noticed: the write fails).
  static let keepAlive: Duration = .seconds(5)

  init(job: String, store: ServerStore, reader: LiveReader, includeUsage: Bool, maxWait: Duration) {
    self.job = job
    self.store = store
    self.reader = reader
    self.includeUsage = includeUsage
    self.maxWait = maxWait
  }

  /// Writes the whole stream; throws when the client cannot be written to.
  mutating func run(_ writer: inout any ResponseBodyWriter) async throws {
    let started = ContinuousClock.now
    var attemptEnded = false
    while true {
      // After an attempt's end the result is about to be stored: look for it often.
      let deltas = try await reader.next(timeout: attemptEnded ? .milliseconds(100) : .seconds(1))
      guard try await follow(deltas, &writer) else { return }
      if deltas.contains(where: { $0.isEnd && $0.token == followed?.token }) { attemptEnded = true }
      if deltas.isEmpty || attemptEnded {
        let job = self.job
        if let record = try await store.perform({ try $0.records([job]) }).first, record.state.isFinished {
          guard try await follow(try await reader.next(timeout: nil), &writer) else { return }
          try await finish(record, &writer)
          return
        }
        // A new attempt (a retry) will speak, or the worker has not stored it yet.
        if deltas.isEmpty { attemptEnded = false }
      }
      if ContinuousClock.now - started > maxWait {
        try await fail("no worker finished job \(job) within \(maxWait); it stays in the queue", &writer)
        return
      }
      if ContinuousClock.now - lastWrite > Self.keepAlive { try await write(": waiting for the answer\n\n", &writer) }
    }
  }

  /// Sends the text of the followed attempt; false when the stream had to end (a newer
  /// attempt started after text was sent).
  private mutating func follow(_ deltas: [LiveDelta], _ writer: inout any ResponseBodyWriter) async throws -> Bool {
    for delta in deltas {
      if let followed, delta.token < followed.token { continue }
      if let followed, delta.token > followed.token {
        if !sentContent.isEmpty || !sentReasoning.isEmpty {
          try await fail(
            "job \(job)'s attempt \(followed.attempt) stopped after part of its answer was sent, and attempt "
              + "\(delta.attempt) started again; ask again, or read the job's stored result", &writer)
          return false
        }
        thinking = ThinkingStream()
      }
      followed = (delta.attempt, delta.token)
      model = .string(delta.model)
      let released = thinking.append(delta.text)
      try await send(reasoning: released.reasoning, content: released.answer, &writer)
    }
    return true
  }

  private mutating func finish(_ record: JobRecord, _ writer: inout any ResponseBodyWriter) async throws {
    guard let line = OpenAIBatchOutput.lines(record).first, let body = line["response"]?["body"] else {
      let reason = OpenAIBatchOutput.lines(record).first?["error"]?["message"]?.stringValue
      try await fail(reason ?? "job \(job) ended \(record.state.rawValue) without an answer", &writer)
      return
    }
    let tail = thinking.finish()
    try await send(reasoning: tail.reasoning, content: tail.answer, &writer)
    let sentAnything = !sentContent.isEmpty || !sentReasoning.isEmpty
    if let followed, let result = record.result, result.attempt != followed.attempt, sentAnything {
      try await fail("job \(job) was answered by attempt \(result.attempt), not attempt \(followed.attempt) whose text "
                       + "was sent; ask again, or read the job's stored result", &writer)
      return
    }
    let choice = body["choices"]?.arrayValue?.first
    let content = choice?["message"]?["content"]?.stringValue ?? ""
    let reasoning = choice?["message"]?["reasoning_content"]?.stringValue ?? ""
    guard content.utf8.starts(with: sentContent.utf8), reasoning.utf8.starts(with: sentReasoning.utf8) else {
      try await fail("the text sent differs from job \(job)'s stored answer; read the job's stored result", &writer)
      return
    }
    model = body["model"] ?? model
    try await send(reasoning: String(decoding: reasoning.utf8.dropFirst(sentReasoning.utf8.count), as: UTF8.self),
                   content: String(decoding: content.utf8.dropFirst(sentContent.utf8.count), as: UTF8.self), &writer)
    try await sendRoleOnce(&writer)
    let fingerprint = body["system_fingerprint"] ?? .null
    try await event(chunk([["index": 0, "delta": [:], "logprobs": nil, "finish_reason": choice?["finish_reason"] ?? "stop"]],
                          fingerprint: fingerprint), &writer)
    if includeUsage {
      var last = chunk([], fingerprint: fingerprint)
      if case .object(var object) = last {
        object["usage"] = body["usage"] ?? .null
        last = .object(object)
      }
      try await event(last, &writer)
    }
    try await write("data: [DONE]\n\n", &writer)
  }

  private mutating func send(reasoning: String, content: String, _ writer: inout any ResponseBodyWriter) async throws {
    guard !reasoning.isEmpty || !content.isEmpty else { return }
    try await sendRoleOnce(&writer)
    var delta = JSONObject()
    if !reasoning.isEmpty { delta["reasoning_content"] = .string(reasoning) }
    if !content.isEmpty { delta["content"] = .string(content) }
    try await event(chunk([["index": 0, "delta": .object(delta), "logprobs": nil, "finish_reason": nil]]), &writer)
    sentReasoning += reasoning
    sentContent += content
  }

  private mutating func sendRoleOnce(_ writer: inout any ResponseBodyWriter) async throws {
    guard !roleSent else { return }
    roleSent = true
    try await event(chunk([["index": 0, "delta": ["role": "assistant", "content": ""], "logprobs": nil,
                            "finish_reason": nil]]), &writer)
  }

  /// OpenAI's clients raise an `error` event as an API error.
  private mutating func fail(_ message: String, _ writer: inout any ResponseBodyWriter) async throws {
    try await event(["error": ["message": .string(message), "type": "server_error", "param": nil, "code": nil]], &writer)
    try await write("data: [DONE]\n\n", &writer)
  }

  private func chunk(_ choices: [JSONValue], fingerprint: JSONValue = .null) -> JSONValue {
    [
      "id": .string("chatcmpl-\(job)-0"), "object": "chat.completion.chunk", "created": .int(created), "model": model,
      "system_fingerprint": fingerprint, "choices": .array(choices),
    ]
  }

  private mutating func event(_ value: JSONValue, _ writer: inout any ResponseBodyWriter) async throws {
    try await write("data: " + JSONWriter.string(value) + "\n\n", &writer)
  }

  private mutating func write(_ text: String, _ writer: inout any ResponseBodyWriter) async throws {
    try await writer.write(ByteBuffer(string: text))
    lastWrite = .now
  }
}
