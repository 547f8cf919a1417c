import Foundation
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The `nightdesk tokenize` contract, through the built binary: other tools parse its output.
@Suite struct TokenizeCommandTests {
  /// `nightdesk` sits next to the test bundle in the build folder.
  private static var binary: URL {
    URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("nightdesk")
  }

  private func run(_ arguments: [String], stdin: String) throws -> (status: Int32, stdout: String, stderr: String) {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.binary.path),
      "\(Self.binary.path) is missing: build with `swift build --build-tests`")
    // Files rather than pipes: a pipe fills up and blocks the child while we are still writing its input.
    let folder = try TestPaths.temporaryDirectory("tokenize-cli")
    defer { try? FileManager.default.removeItem(at: folder) }
    let paths = ["stdin", "stdout", "stderr"].map { folder.appendingPathComponent($0) }
    try Data(stdin.utf8).write(to: paths[0])
    for path in paths.dropFirst() { try Data().write(to: path) }
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: paths[0])
    process.standardOutput = try FileHandle(forWritingTo: paths[1])
    process.standardError = try FileHandle(forWritingTo: paths[2])
    try process.run()
    process.waitUntilExit()
    let stdout = try String(contentsOf: paths[1], encoding: .utf8)
    let stderr = try String(contentsOf: paths[2], encoding: .utf8)
    return (process.terminationStatus, stdout, stderr)
  }

  @Test func jsonlGivesTheReferenceIDsForEveryCase() throws {
    let cases = try TokenizerFixtures.jsonLines("tokenizer-qwen/cases.jsonl")
    let input = cases.map { JSONWriter.string(["text": $0["text"] ?? ""]) }.joined(separator: "\n") + "\n"
    let result = try run(["tokenize", "--model", TokenizerFixtures.qwenFolder.path, "--jsonl"], stdin: input)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == cases.count)
    for (line, testCase) in zip(lines, cases) {
      let ids = TokenizerFixtures.ids(try JSONParser.parse(String(line))["ids"])
      #expect(ids == TokenizerFixtures.ids(testCase["ids"]), "\(testCase["name"] ?? "")")
    }
  }

  @Test func textAndStdinPrintOneJSONArray() throws {
    let model = TokenizerFixtures.qwenFolder.path
    #expect(try run(["tokenize", "--model", model, "--text", "Hello, world"], stdin: "").stdout == "[9707, 11, 1879]\n")
    #expect(try run(["tokenize", "--model", model], stdin: "Hello, world").stdout == "[9707, 11, 1879]\n")
    #expect(try run(["tokenize", "--model", model, "--no-special"], stdin: "<|im_end|>").stdout != "[151645]\n")
  }

  @Test func aBadLineIsReportedWithItsNumber() throws {
    let result = try run(
      ["tokenize", "--model", TokenizerFixtures.qwenFolder.path, "--jsonl"], stdin: "{\"text\": \"a\"}\n{\"txt\": 1}\n")
    #expect(result.status != 0)
    #expect(result.stdout == "{\"ids\": [64]}\n")
    #expect(result.stderr.contains("stdin line 2"))
  }
}
