import Foundation
import NightdeskTestSupport
import Testing

/// The `nightdesk generate` contract (issue 3, item 5), through the built binary and
/// against the reference fixtures: outside checks parse this output exactly.
@Suite struct GenerateContractTests {
  /// One reference case, read with Foundation so this target needs nothing but the binary.
  struct ReferenceCase {
    var name: String
    var promptIDs: [Int]
    var greedyTokens: [Int]
    var messages: Any?
    var greedyText: String?
    var firstEOSIndex: Int?
    /// step -> the reference's top-10 `[(id, logit)]` there.
    var topSteps: [(step: Int, top: [(id: Int, logit: Double)])]
  }

  /// What `generate --json` printed.
  struct Record {
    var keys: Set<String>
    var promptIDs: [Int]
    var tokens: [Int]
    var text: String
    var topLogits: [[(id: Int, logit: Double)]]
  }

  struct Malformed: Error, CustomStringConvertible { var description: String }

  static let qwenFolder = TestPaths.fixture("qwen3-tiny")

  static func cases(_ relativePath: String, named names: [String]) throws -> [ReferenceCase] {
    let data = try Data(contentsOf: TestPaths.fixture(relativePath))
    let root = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    let all = root?["cases"] as? [[String: Any]] ?? []
    return try names.map { name in
      guard let raw = all.first(where: { $0["name"] as? String == name }) else {
        throw Malformed(description: "\(relativePath): no case \(name)")
      }
      let steps = (raw["topk_steps"] as? [[String: Any]] ?? []).map { step in
        (step: int(step["step"]) ?? -1, top: pairs(step["top10"]))
      }
      return ReferenceCase(
        name: name, promptIDs: ints(raw["prompt_ids"]), greedyTokens: ints(raw["greedy_tokens"]),
        messages: raw["messages"], greedyText: raw["greedy_text"] as? String,
        firstEOSIndex: int(raw["first_eos_index"]), topSteps: steps)
    }
  }

  static func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
  static func ints(_ value: Any?) -> [Int] { (value as? [Any] ?? []).compactMap { int($0) } }
  static func pairs(_ value: Any?) -> [(id: Int, logit: Double)] {
    (value as? [Any] ?? []).compactMap { pair in
      guard let pair = pair as? [Any], pair.count == 2, let id = int(pair[0]),
            let logit = (pair[1] as? NSNumber)?.doubleValue else { return nil }
      return (id, logit)
    }
  }

  /// Runs `generate` with `--json`; the output must be exactly one JSON object on one line.
  static func generateJSON(_ arguments: [String]) async throws -> Record {
    let result = try await NightdeskBinary.run(["generate"] + arguments + ["--json"])
    guard result.status == 0 else { throw Malformed(description: "status \(result.status): \(result.stderr)") }
    let lines = result.stdout.split(separator: "\n")
    guard lines.count == 1, let line = lines.first,
          let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
      throw Malformed(description: "not one JSON object on one line: \(result.stdout.prefix(300))")
    }
    return Record(
      keys: Set(object.keys), promptIDs: ints(object["prompt_ids"]), tokens: ints(object["tokens"]),
      text: object["text"] as? String ?? "<text is not a string>",
      topLogits: (object["top_logits"] as? [Any] ?? []).map { pairs($0) })
  }

  static let contractKeys: Set<String> = ["prompt_ids", "tokens", "text", "top_logits"]

  /// The record matches the reference greedy run: ids, tokens, top-K shape and listed logits.
  static func expectMatches(_ record: Record, _ reference: ReferenceCase, steps: Int, tolerance: Double) {
    let name = reference.name
    #expect(record.keys == contractKeys, "\(name): keys \(record.keys.sorted())")
    #expect(record.promptIDs == reference.promptIDs, "\(name): prompt_ids")
    #expect(record.tokens == Array(reference.greedyTokens.prefix(steps)), "\(name): tokens \(record.tokens)")
    #expect(record.topLogits.count == steps, "\(name): \(record.topLogits.count) top_logits entries for \(steps) tokens")
    for (index, top) in record.topLogits.enumerated() {
      #expect(top.count == 10, "\(name) step \(index): \(top.count) pairs")
      #expect(zip(top, top.dropFirst()).allSatisfy { $0.logit >= $1.logit }, "\(name) step \(index): not descending")
    }
    for (step, expected) in reference.topSteps where step < record.topLogits.count {
      let ours = record.topLogits[step]
      #expect(ours.first?.id == expected.first?.id, "\(name) step \(step): top-1 \(String(describing: ours.first))")
      for (id, logit) in expected {
        // An id the reference lists may sit just outside our top 10 only if its neighbours tie within tolerance.
        guard let mine = ours.first(where: { $0.id == id }) else {
          #expect(logit < (ours.last?.logit ?? .infinity) + tolerance, "\(name) step \(step): id \(id) missing")
          continue
        }
        #expect(abs(mine.logit - logit) <= tolerance, "\(name) step \(step) id \(id): \(mine.logit) vs \(logit)")
      }
    }
  }

  static func greedyArguments(_ ids: [Int], steps: Int) -> [String] {
    ["--prompt-ids", ids.map(String.init).joined(separator: ","), "--max-tokens", "\(steps)",
     "--temperature", "0", "--ignore-eos", "--top-logits", "10"]
  }

  @Test func qwenFolderGreedyJSONMatchesTheReference() async throws {
    for reference in try Self.cases("qwen3-tiny/reference.json", named: ["single_token", "short_en", "code_python"]) {
      let record = try await Self.generateJSON(["--model", Self.qwenFolder.path] + Self.greedyArguments(reference.promptIDs, steps: 24))
      Self.expectMatches(record, reference, steps: 24, tolerance: 1e-3)
      // Ordinary vocabulary ids always decode to something.
      #expect(!record.text.isEmpty, "\(reference.name): empty text for tokens \(record.tokens)")
    }
  }

  @Test func qwenQ8GGUFGreedyJSONMatchesItsReference() async throws {
    let reference = try #require(try Self.cases("qwen3-tiny/reference_gguf_q8_0.json", named: ["chat_user_only"]).first)
    let model = Self.qwenFolder.appendingPathComponent("qwen3-tiny-Q8_0.gguf").path
    let record = try await Self.generateJSON(["--model", model] + Self.greedyArguments(reference.promptIDs, steps: 24))
    Self.expectMatches(record, reference, steps: 24, tolerance: 1e-3)
    #expect(!record.text.isEmpty)
  }

  /// Writes a case's messages to a temporary file for `--messages`.
  static func messagesFile(_ reference: ReferenceCase, in folder: URL) throws -> String {
    let file = folder.appendingPathComponent("\(reference.name).json")
    try JSONSerialization.data(withJSONObject: try #require(reference.messages)).write(to: file)
    return file.path
  }

  @Test func smolLM2MessagesApplyTheChatTemplateAndMatchTheReference() async throws {
    let reference = try #require(try Self.cases("smollm2/reference.json", named: ["system_pirate"]).first)
    let folder = try TestPaths.temporaryDirectory("generate-contract")
    defer { try? FileManager.default.removeItem(at: folder) }
    let record = try await Self.generateJSON([
      "--model", TestPaths.smolLM2.path, "--messages", try Self.messagesFile(reference, in: folder),
      "--max-tokens", "32", "--temperature", "0", "--ignore-eos", "--top-logits", "10",
    ])
    Self.expectMatches(record, reference, steps: 32, tolerance: 2e-3)
    #expect(record.text == reference.greedyText)
  }

  @Test func greedyWithoutIgnoreEOSStopsAtEndOfSequence() async throws {
    let reference = try #require(try Self.cases("smollm2/reference.json", named: ["capital_france"]).first)
    let eos = try #require(reference.firstEOSIndex)
    let folder = try TestPaths.temporaryDirectory("generate-contract")
    defer { try? FileManager.default.removeItem(at: folder) }
    let record = try await Self.generateJSON([
      "--model", TestPaths.smolLM2.path, "--messages", try Self.messagesFile(reference, in: folder),
      "--max-tokens", "32", "--temperature", "0",
    ])
    // The end-of-sequence token is the last one recorded; the text stops before it.
    #expect(record.tokens == Array(reference.greedyTokens.prefix(eos + 1)), "tokens \(record.tokens)")
    let answer = try #require(reference.greedyText?.components(separatedBy: "<|im_end|>").first)
    #expect(record.text == answer)
  }

  @Test func withoutJSONItPrintsTheGeneratedText() async throws {
    let reference = try #require(try Self.cases("qwen3-tiny/reference.json", named: ["short_en"]).first)
    let ids = reference.promptIDs.map(String.init).joined(separator: ",")
    let base = ["generate", "--model", Self.qwenFolder.path, "--prompt-ids", ids, "--max-tokens", "24",
                "--temperature", "0", "--ignore-eos"]
    let plain = try await NightdeskBinary.run(base)
    let record = try await Self.generateJSON(Array(base.dropFirst()))
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.stdout == record.text + "\n")
  }

  @Test func badInputIsOneErrorLineAndAFailingStatus() async throws {
    // A run-time error is the only line; a parse error (missing option) may be followed by usage.
    let cases: [(arguments: [String], mentions: String)] = [
      (["generate", "--model", Self.qwenFolder.path, "--prompt-ids", "1,x"], "'x'"),
      (["generate", "--prompt-ids", "1,2,3"], "--model"),
    ]
    for (arguments, mentions) in cases {
      let result = try await NightdeskBinary.run(arguments)
      #expect(result.status != 0, "\(arguments): status \(result.status)")
      #expect(result.stdout.isEmpty, "\(arguments): \(result.stdout)")
      let first = result.stderr.split(separator: "\n").first
      #expect(first?.hasPrefix("Error: ") == true && first?.contains(mentions) == true, "\(arguments): \(result.stderr)")
    }
  }
}
