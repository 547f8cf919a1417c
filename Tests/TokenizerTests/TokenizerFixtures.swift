import Foundation
import NightdeskModel
import NightdeskSupport
import NightdeskTestSupport
import NightdeskTokenizer

/// Tokenizers and reference cases shared by the suites; each is loaded once per test run.
enum TokenizerFixtures {
  static let qwenFolder = TestPaths.fixture("tokenizer-qwen")

  static let qwenResult = Result { try Tokenizer(spec: TokenizerSpec(huggingFaceFolder: qwenFolder)) }
  static func qwen() throws -> Tokenizer { try qwenResult.get() }

  /// SmolLM2-135M-Instruct's tokenizer, from the GGUF that `Ops/setup` downloads.
  static let smolLM2Result = Result { try Tokenizer(spec: TokenizerSpec(gguf: GGUFFile(url: TestPaths.smolLM2))) }
  static func smolLM2() throws -> Tokenizer { try smolLM2Result.get() }

  /// The Qwen tokenizer again, this time from the tiny Qwen3's GGUF metadata.
  static let qwenGGUFResult = Result {
    try Tokenizer(spec: TokenizerSpec(gguf: GGUFFile(url: TestPaths.fixture("qwen3-tiny/qwen3-tiny-Q8_0.gguf"))))
  }
  static func qwenGGUF() throws -> Tokenizer { try qwenGGUFResult.get() }

  /// Each line of a JSONL fixture, parsed.
  static func jsonLines(_ relativePath: String) throws -> [JSONValue] {
    let text = try String(contentsOf: TestPaths.fixture(relativePath), encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
  }

  static func json(_ relativePath: String) throws -> JSONValue {
    try JSONParser.parse(try Data(contentsOf: TestPaths.fixture(relativePath)))
  }

  static func ids(_ value: JSONValue?) -> [Int32] {
    (value?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) }
  }
}
