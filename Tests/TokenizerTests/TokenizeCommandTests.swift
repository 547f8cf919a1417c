import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The `nightdesk tokenize` contract, through the built binary: other tools parse its output.
@Suite struct TokenizeCommandTests {
  private func run(_ arguments: [String], stdin: String) async throws -> NightdeskBinary.Outcome {
    try await NightdeskBinary.run(arguments, stdin: stdin)
  }

  @Test func jsonlGivesTheReferenceIDsForEveryCase() async throws {
    let cases = try TokenizerFixtures.jsonLines("tokenizer-qwen/cases.jsonl")
    let input = cases.map { JSONWriter.string(["text": $0["text"] ?? ""]) }.joined(separator: "\n") + "\n"
    let result = try await run(["tokenize", "--model", TokenizerFixtures.qwenFolder.path, "--jsonl"], stdin: input)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == cases.count)
    for (line, testCase) in zip(lines, cases) {
      let ids = TokenizerFixtures.ids(try JSONParser.parse(String(line))["ids"])
      #expect(ids == TokenizerFixtures.ids(testCase["ids"]), "\(testCase["name"] ?? "")")
    }
  }

  @Test func textAndStdinPrintOneJSONArray() async throws {
    let model = TokenizerFixtures.qwenFolder.path
    #expect(try await run(["tokenize", "--model", model, "--text", "Hello, world"], stdin: "").stdout == "[9707, 11, 1879]\n")
    #expect(try await run(["tokenize", "--model", model], stdin: "Hello, world").stdout == "[9707, 11, 1879]\n")
    // Without special tokens the marker is plain text: several ordinary ids, never the control token.
    let plain = try await run(["tokenize", "--model", model, "--no-special"], stdin: "<|im_end|>")
    #expect(plain.status == 0, "\(plain.stderr)")
    let ids = try JSONParser.parse(plain.stdout).arrayValue?.compactMap(\.intValue) ?? []
    #expect(ids.count > 1 && !ids.contains(151645), "\(plain.stdout)")
  }

  @Test func aBadLineIsReportedWithItsNumber() async throws {
    let result = try await run(
      ["tokenize", "--model", TokenizerFixtures.qwenFolder.path, "--jsonl"], stdin: "{\"text\": \"a\"}\n{\"txt\": 1}\n")
    #expect(result.status != 0)
    #expect(result.stdout == "{\"ids\": [64]}\n")
    #expect(result.stderr.contains("stdin line 2"))
  }
}
