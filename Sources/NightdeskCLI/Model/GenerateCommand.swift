import ArgumentParser
import Foundation
import NightdeskEngine
import NightdeskModel
import NightdeskRequests
import NightdeskSupport
import NightdeskTokenizer

/// `nightdesk generate`: one prompt through the model, text out (or the JSON
/// record other tools rely on: prompt ids, tokens, text, top logits per step).
struct GenerateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate text from one prompt, or from a file of prompts through the engine.",
    discussion: """
      The prompt is text (--prompt), token ids (--prompt-ids) or a JSON file holding an \
      OpenAI-style array of {"role", "content"} messages (--messages), rendered with the \
      model's chat template (--chat-format overrides it). Prints the generated text as it \
      comes; --temperature 0 is greedy.

      With --json, prints one object {"prompt_ids": [...], "tokens": [...], "text": "...", \
      "top_logits": [[[id, logit], ...], ...]}, where top_logits[0] holds the top-K raw \
      logits at the last prompt position and top_logits[i] those after the i-th generated \
      token (K is --top-logits).

      With --prompts-file, every line of a JSONL file is one request; all run together \
      through the batching engine (shared prefixes computed once) and one JSON line per \
      request comes out, in input order.

      Examples:
        nightdesk generate --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --messages chat.json
        nightdesk generate --model Tests/Fixtures/qwen3-tiny --prompt-ids 9707 \\
            --max-tokens 24 --temperature 0 --ignore-eos --top-logits 10 --json
        nightdesk generate --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --prompts-file questions.jsonl --temperature 0 > answers.jsonl
      """)

  @Option(help: ArgumentHelp("A Hugging Face model folder or a .gguf file.", valueName: "path"))
  var model: String

  @Option(help: ArgumentHelp("The prompt text (special tokens such as <|im_start|> are recognised).", valueName: "text"))
  var prompt: String?

  @Option(help: ArgumentHelp("The prompt as comma-separated token ids, e.g. 1,2,3.", valueName: "ids"))
  var promptIds: String?

  @Option(help: ArgumentHelp("A JSON file with an array of {\"role\", \"content\"} messages.", valueName: "file"))
  var messages: String?

  @Option(help: ArgumentHelp("Chat format for --messages instead of the model's own: \(ChatFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"))
  var chatFormat: String?

  @Option(help: ArgumentHelp("Tokens to generate at most.", valueName: "n"))
  var maxTokens: Int = 128

  @Option(help: ArgumentHelp("Sampling temperature; 0 is greedy.", valueName: "t"))
  var temperature: Float = 0.7

  @Option(help: ArgumentHelp("Keep the smallest set of tokens whose probability reaches P (1 = off).", valueName: "p"))
  var topP: Float = 1

  @Option(help: ArgumentHelp("Keep the K most likely tokens (0 = off).", valueName: "k"))
  var topK: Int = 0

  @Option(help: ArgumentHelp("Random seed (default: random).", valueName: "n"))
  var seed: UInt64?

  @Flag(help: "Keep generating past end-of-sequence tokens.")
  var ignoreEos = false

  @Option(help: ArgumentHelp("Record the K largest raw logits at every step (with --json).", valueName: "k"))
  var topLogits: Int = 0

  @Flag(help: "Print one JSON object instead of the text.")
  var json = false

  @Option(help: ArgumentHelp(
    "A JSONL file of requests, one per line, run together through the batching engine.",
    discussion: "Each line: {\"prompt\": ...}, {\"messages\": [...]} or {\"prompt_ids\": [...]}, optionally with "
      + "OpenAI-style sampling fields (the flags above are the defaults). Prints one JSON line per request, in order.",
    valueName: "file"))
  var promptsFile: String?

  @OptionGroup var precision: ActivationOptions

  @OptionGroup(title: "Engine (with --prompts-file)")
  var engineOptions: EngineOptions

  func validate() throws {
    let sources = [prompt != nil, promptIds != nil, messages != nil, promptsFile != nil].filter { $0 }.count
    guard sources == 1 else {
      throw ValidationError("give exactly one of --prompt, --prompt-ids, --messages, --prompts-file")
    }
    guard maxTokens >= 0, maxTokens <= 1 << 20 else { throw ValidationError("--max-tokens must be between 0 and 1048576") }
    guard topLogits >= 0, topLogits <= 1000 else { throw ValidationError("--top-logits must be between 0 and 1000") }
    // The request vocabulary's limits, named by their flags ("--top-p is 0.0; it must be in (0, 1]").
    do { try sampling.validate() } catch {
      throw ValidationError("--\(error.path.replacingOccurrences(of: "_", with: "-")) \(error.problem)")
    }
  }

  /// The flags as the request vocabulary's parameters: the single prompt's
  /// sampling, and the defaults of every --prompts-file line.
  var sampling: SamplingParameters {
    SamplingParameters(
      temperature: Double(temperature), topK: topK, topP: Double(topP), seed: seed, maxTokens: max(1, maxTokens),
      ignoreEOS: ignoreEos, logprobs: topLogits > 0 ? min(topLogits, SamplingParameters.maxLogprobs) : nil)
  }

  func run() async throws {
    let served = try ServedModel.open(model, activations: precision.activations)
    if let promptsFile {
      try await runPromptsFile(promptsFile, served: served)
    } else {
      try runSingle(served)
    }
  }

  /// One prompt on the reference path (`SingleSequence`), which hands over the raw
  /// logits --top-logits records; tokens are chosen by the engine's sampler with
  /// the engine's seeding, so a seed gives the same tokens as through the engine.
  func runSingle(_ served: ServedModel) throws {
    let loaded = try served.loadModel()
    let promptIDs = try encodePrompt(served)
    guard !promptIDs.isEmpty else { throw CommandFailure("the prompt is empty") }
    let vocabulary = loaded.config.vocabularySize
    if let bad = promptIDs.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
      throw CommandFailure("--prompt-ids: \(bad) is outside the model's vocabulary (0..<\(vocabulary))")
    }
    let stopTokenIDs = ignoreEos ? [] : served.stopTokenIDs
    // Picked seeds stay below 2^53, as the engine's do.
    var parameters = sampling
    parameters.logprobs = nil  // --top-logits records raw logits here, not log-probabilities
    var sampler = Sampler(parameters: parameters, seed: seed ?? UInt64.random(in: 0..<(1 << 53)), prompt: promptIDs)
    let sequence = try SingleSequence(
      model: loaded, capacity: promptIDs.count + max(maxTokens, 1), precision: engineOptions.kvPrecision(for: served.activations))
    var logits = try sequence.feed(promptIDs)
    var tokens: [Int32] = []
    var topRecords: [JSONValue] = []
    var stoppedAtEOS = false
    let streaming = !json
    var decoder = served.tokenizer.makeStreamingDecoder()
    for step in 0..<maxTokens {
      if topLogits > 0 { topRecords.append(Self.topRecord(logits, k: topLogits)) }
      let next = sampler.sample(logits[...]).id
      tokens.append(next)
      if stopTokenIDs.contains(next) {
        stoppedAtEOS = true
        break
      }
      if streaming {
        FileHandle.standardOutput.write(Data(decoder.append(next).utf8))
      }
      if step + 1 < maxTokens { logits = try sequence.feed([next]) }
    }
    let textTokens = stoppedAtEOS ? Array(tokens.dropLast()) : tokens
    if streaming {
      FileHandle.standardOutput.write(Data((decoder.finish() + "\n").utf8))
      return
    }
    var object = JSONObject()
    object["prompt_ids"] = .array(promptIDs.map { .int(Int64($0)) })
    object["tokens"] = .array(tokens.map { .int(Int64($0)) })
    object["text"] = .string(served.tokenizer.decode(textTokens))
    object["top_logits"] = .array(topRecords)
    print(JSONWriter.string(.object(object)))
  }

  private func encodePrompt(_ served: ServedModel) throws -> [Int32] {
    if let prompt { return served.tokenizer.encode(prompt) }
    if let promptIds {
      return try promptIds.split(separator: ",").map { part in
        guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
          throw ValidationError("--prompt-ids: '\(part)' is not a token id; expected e.g. 1,2,3")
        }
        return id
      }
    }
    let path = messages!
    let value: JSONValue
    let data = try readFile(path, option: "--messages")
    do { value = try JSONParser.parse(data) } catch {
      throw CommandFailure("--messages \(path): \(error); expected [{\"role\": \"user\", \"content\": \"...\"}, ...]")
    }
    let list: [ChatMessage]
    do { list = try ChatMessage.list(fromJSON: value) } catch { throw CommandFailure("--messages \(path): \(error)") }
    return try served.promptIDs(for: list, template: served.chatTemplate(override: chatFormatOverride()))
  }

  /// The format --chat-format names, if given (it overrides the model's template).
  func chatFormatOverride() throws -> ChatFormat? {
    try chatFormat.map { name -> ChatFormat in
      guard let format = ChatFormat(rawValue: name) else {
        throw ValidationError(
          "--chat-format: unknown format '\(name)'; known: \(ChatFormat.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return format
    }
  }

  static func topRecord(_ logits: [Float], k: Int) -> JSONValue {
    guard k > 0 else { return .array([]) }
    // A k-long sorted buffer rather than sorting the vocabulary: a full sort of 152k logits
    // at every step cost several times the tiny model's forward pass.
    func ranksAbove(_ a: Int, _ b: Int) -> Bool { logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
    var top: [Int] = []  // [min(k, vocabulary)] token ids, best first
    top.reserveCapacity(k + 1)
    for index in logits.indices {
      if top.count == k, let worst = top.last, !ranksAbove(index, worst) { continue }
      top.insert(index, at: top.firstIndex { ranksAbove(index, $0) } ?? top.count)
      if top.count > k { top.removeLast() }
    }
    return .array(top.map { .array([.int(Int64($0)), .double(Double(logits[$0]))]) })
  }
}
