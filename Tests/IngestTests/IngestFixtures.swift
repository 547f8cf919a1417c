import Foundation
import NightdeskIngest
import NightdeskModel
import NightdeskTestSupport
import NightdeskTokenizer

/// The sample inputs of Jobs/samples/ingest, files the tests write, and the tokenizers.
enum IngestFixtures {
  static let samples = TestPaths.repositoryRoot.appendingPathComponent("Jobs/samples/ingest")
  static let jobTypes = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types")

  static func sample(_ name: String) -> String { samples.appendingPathComponent(name).path }

  /// Writes `bytes` to a fresh file named `name` and returns its path.
  static func write(_ bytes: [UInt8], named name: String) throws -> String {
    let folder = try TestPaths.temporaryDirectory("ingest")
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  static func write(_ text: String, named name: String) throws -> String {
    try write(Array(text.utf8), named: name)
  }

  static let qwenResult = Result { try Tokenizer(spec: TokenizerSpec(huggingFaceFolder: TestPaths.fixture("qwen3-tiny"))) }
  /// The Qwen3 tokenizer of the qwen3-tiny fixture (its chat template is Qwen3's).
  static func qwen() throws -> Tokenizer { try qwenResult.get() }

  static let smolLM2Result = Result { try Tokenizer(spec: TokenizerSpec(gguf: GGUFFile(url: TestPaths.requireSmolLM2()))) }
  /// SmolLM2-135M-Instruct's tokenizer, from the GGUF that Ops/setup downloads.
  static func smolLM2() throws -> Tokenizer { try smolLM2Result.get() }
}
