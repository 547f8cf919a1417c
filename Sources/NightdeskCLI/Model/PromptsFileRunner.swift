import Foundation
import NightdeskEngine
import NightdeskRequests
import NightdeskSupport

/// `generate --prompts-file`: every line of a JSONL file becomes one request; all
/// go into the engine together (so shared prefixes are computed once) and one
/// JSON line per request comes out, in input order, as soon as it and those
/// before it are done. A bad line gets an error line; the others still run.
struct PromptsFileRunner {
  /// Turns a line's input into prompt ids (chat template, tokenizer).
  var encode: (PromptLine.Input) throws -> [Int32]
  var defaults: SamplingParameters
  /// Lines accepted at most (a guard against a runaway file).
  static let maxLines = 1_000_000

  /// Files larger than this are refused before reading.
  static let maxFileBytes = 1 << 30

  func run(file path: String, engine: Engine, output: (String) -> Void) async throws {
    let data = try readFile(path, option: "--prompts-file") { size in
      guard size <= Self.maxFileBytes else {
        throw CommandFailure("--prompts-file \(path) is \(size) bytes; split it into files under 1 GiB")
      }
    }
    guard let text = String(validating: data, as: UTF8.self) else {
      throw CommandFailure("--prompts-file \(path): not UTF-8 text")
    }
    var pending: [(number: Int, line: PromptLine?, generation: Generation?, error: String?)] = []
    for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty { continue }
      guard pending.count < Self.maxLines else {
        throw EngineError(.invalidRequest, "\(path) has more than \(Self.maxLines) requests; split it")
      }
      do {
        let parsed = try PromptLine(line: line, number: offset + 1, defaults: defaults)
        let ids = try encode(parsed.input)
        pending.append((offset + 1, parsed, engine.submit(GenerationRequest(prompt: ids, sampling: parsed.sampling)), nil))
      } catch let error as EngineError {
        pending.append((offset + 1, nil, nil, error.message))
      } catch {
        pending.append((offset + 1, nil, nil, "line \(offset + 1): \(error)"))
      }
    }
    for (index, entry) in pending.enumerated() {
      var object = JSONObject()
      object["index"] = .int(Int64(index))
      object["line"] = .int(Int64(entry.number))
      if let id = entry.line?.id { object["id"] = id }
      if let generation = entry.generation {
        do {
          let result = try await generation.collect()
          Self.describe(result, into: &object)
        } catch {
          object["error"] = .string("\(error)")
        }
      } else {
        object["error"] = .string(entry.error ?? "not run")
      }
      output(JSONWriter.string(.object(object)))
    }
  }

  static func describe(_ result: CompletedGeneration, into object: inout JSONObject) {
    let usage = result.summary.usage
    object["tokens"] = .array(result.tokens.map { .int(Int64($0)) })
    object["text"] = .string(result.text)
    object["finish_reason"] = .string(result.summary.reason.rawValue)
    if let stop = result.summary.stopString { object["stop"] = .string(stop) }
    if let stop = result.summary.stopToken { object["stop_token"] = .int(Int64(stop)) }
    object["usage"] = .object(
      JSONObject([
        "prompt_tokens": .int(Int64(usage.promptTokens)),
        "completion_tokens": .int(Int64(usage.generatedTokens)),
        "prefix_reused_tokens": .int(Int64(usage.prefixReusedTokens)),
        "seed": .int(Int64(bitPattern: usage.seed)),
        "preemptions": .int(Int64(usage.preemptions)),
        "queue_s": .double(usage.queueSeconds),
        "total_s": .double(usage.totalSeconds),
      ]))
    if result.samples.contains(where: { $0.logprob != nil }) {
      object["logprobs"] = .array(
        result.samples.map { sample in
          .object(
            JSONObject([
              "token": .int(Int64(sample.id)),
              "logprob": .double(Double(sample.logprob ?? 0)),
              "top": .array(sample.topLogprobs.map { .array([.int(Int64($0.id)), .double(Double($0.logprob))]) }),
            ]))
        })
    }
  }
}
