import Foundation
import Testing
@testable import NightdeskModel
import NightdeskSupport
import NightdeskTokenizer
import NightdeskTestSupport

@Suite struct GGUFConfigTests {
  static func smolLM2() throws -> GGUFFile {
    try GGUFFile(url: TestPaths.requireSmolLM2())
  }

  @Test func qwen3TinyConfig() throws {
    let gguf = try GGUFFile(url: GGUFFileTests.qwen3TinyURL)
    let config = try ModelConfig(gguf: gguf)
    #expect(config == ModelConfig(
      architecture: .qwen3, vocabularySize: 151936, hiddenSize: 64, intermediateSize: 192, layerCount: 3,
      headCount: 4, kvHeadCount: 2, headDim: 32, rmsNormEpsilon: 1e-6, ropeTheta: 1e6, ropeLayout: .halves,
      yarn: nil, maxPositions: 40960, tieWordEmbeddings: true, hasQKNorm: true, hasQKVBias: false))
    _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
  }

  @Test func smolLM2Config() throws {
    let gguf = try Self.smolLM2()
    let config = try ModelConfig(gguf: gguf)
    #expect(config == ModelConfig(
      architecture: .llama, vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
      headCount: 9, kvHeadCount: 3, headDim: 64, rmsNormEpsilon: 1e-5, ropeTheta: 100000, ropeLayout: .adjacent,
      yarn: nil, maxPositions: 8192, tieWordEmbeddings: true, hasQKNorm: false, hasQKVBias: false))
    _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
  }

  @Test func shapesThatDisagreeWithTheConfigAreNamed() throws {
    let gguf = try GGUFFile(url: GGUFFileTests.qwen3TinyURL)
    var config = try ModelConfig(gguf: gguf)
    config.headDim = 16  // what deriving hidden / heads would wrongly give
    do {
      _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
      Issue.record("a wrong head_dim was accepted")
    } catch let error as ModelFileError {
      #expect(error.kind == .shapeMismatch)
      #expect(error.tensor == "blk.0.attn_q.weight")
      #expect(error.description.contains("[64, 64]") && error.description.contains("[128, 64]"))
    }
    config = try ModelConfig(gguf: gguf)
    config.tieWordEmbeddings = false
    do {
      _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
      Issue.record("a missing output.weight was accepted")
    } catch let error as ModelFileError {
      #expect(error.kind == .missingTensor && error.tensor == "output.weight" && error.file == gguf.path)
    }
  }

  @Test func qwen3TinyTokenizerSpec() throws {
    let started = Date()
    let spec = try TokenizerSpec(gguf: GGUFFile(url: GGUFFileTests.qwen3TinyURL))
    print("qwen3-tiny GGUF opened and TokenizerSpec decoded (151,936 tokens, 151,387 merges) in "
          + "\(Int(Date().timeIntervalSince(started) * 1000)) ms")
    #expect(spec.tokens.count == 151936)
    #expect(spec.merges.count == 151387)
    #expect(spec.addedTokens.count == 26)
    #expect(spec.addedTokens.filter(\.special).count == 20)
    #expect(spec.addedTokens.first == AddedToken(id: 151643, content: "<|endoftext|>", special: true))
    #expect(spec.addedTokens.contains(AddedToken(id: 151667, content: "<think>", special: false)))
    #expect(spec.preTokenizer == .qwen2)
    #expect(spec.normalizeNFC)
    #expect(spec.bosTokenID == 151643)
    #expect(spec.eosTokenID == 151645)
    #expect(spec.padTokenID == 151643)
    #expect(spec.extraStopTokenIDs == [151643])
    #expect(!spec.addBOS)
    #expect(spec.chatTemplate?.contains("enable_thinking") == true)
  }

  @Test func smolLM2TokenizerSpec() throws {
    let gguf = try Self.smolLM2()
    let started = Date()
    let spec = try TokenizerSpec(gguf: gguf)
    print("SmolLM2 TokenizerSpec decoded in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    #expect(spec.tokens.count == 49152)
    #expect(spec.preTokenizer == .smollm)
    #expect(!spec.normalizeNFC)
    #expect(spec.eosTokenID == 2)
    #expect(spec.tokens[1] == "<|im_start|>")
    #expect(spec.addedTokens.filter(\.special).map(\.id) == Array(0...16))
    #expect(spec.extraStopTokenIDs == [0])
    #expect(spec.chatTemplate?.contains("You are a helpful AI assistant named SmolLM") == true)
    print("SmolLM2 merges \(spec.merges.count), bos \(String(describing: spec.bosTokenID)), addBOS \(spec.addBOS)")
  }
}

/// Architectures and options we have no real fixture for, on hand-built GGUFs.
@Suite struct SyntheticGGUFConfigTests {
  static func config(_ builder: GGUFBuilder) throws -> (ModelConfig, GGUFFile) {
    let dir = try TestPaths.temporaryDirectory("synthetic")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("m.gguf")
    try Data(builder.build().bytes).write(to: url)
    let gguf = try GGUFFile(url: url)  // the mapping outlives the deleted path
    return (try ModelConfig(gguf: gguf), gguf)
  }

  @Test func qwen2WithYaRNAndBias() throws {
    var b = GGUFBuilder.tinyModel(architecture: "qwen2")
    b.set("qwen2.rope.scaling.type", .string("yarn"))
    b.set("qwen2.rope.scaling.factor", .f32(4))
    b.set("qwen2.rope.scaling.original_context_length", .u32(32768))
    let (config, gguf) = try Self.config(b)
    #expect(config.architecture == .qwen2)
    #expect(config.hasQKVBias && !config.hasQKNorm)
    #expect(config.ropeLayout == .halves)
    #expect(config.yarn == YaRNScaling(factor: 4, originalMaxPositions: 32768))
    #expect(config.headDim == 16)  // no key_length: hidden / heads
    _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
  }

  @Test func llamaUntiedAdjacentRoPE() throws {
    let (config, gguf) = try Self.config(GGUFBuilder.tinyModel(architecture: "llama", tied: false))
    #expect(!config.tieWordEmbeddings)
    #expect(config.ropeLayout == .adjacent)
    #expect(config.vocabularySize == 8)
    #expect(config.yarn == nil)
    _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
  }

  /// The two readers once disagreed: a llama GGUF's bias tensors were silently ignored.
  @Test func aLlamaGGUFWithBiasesLoadsThem() throws {
    let (config, gguf) = try Self.config(GGUFBuilder.tinyModel(architecture: "llama", biases: true))
    #expect(config.hasQKVBias && !config.hasQKNorm)
    let weights = try ModelWeights(source: gguf, config: config, naming: .gguf)
    let q = try #require(weights.layers[0].qBias), v = try #require(weights.layers[0].vBias)
    #expect(q.dequantizedRow(0) == (1...32).map(Float.init))
    #expect(v.dequantizedRow(0) == (1...16).map(Float.init))
    let (plain, _) = try Self.config(GGUFBuilder.tinyModel(architecture: "llama"))
    #expect(!plain.hasQKVBias)
  }

  @Test func aLlamaConfigJSONWithAttentionBiasHasThem() throws {
    var json = JSONObject()
    for (key, value) in [("hidden_size", 32), ("num_attention_heads", 2), ("num_key_value_heads", 1), ("vocab_size", 8),
                         ("intermediate_size", 64), ("num_hidden_layers", 1)] { json[key] = .int(Int64(value)) }
    json["model_type"] = .string("llama")
    #expect(try !ModelConfig(huggingFaceConfig: .object(json), path: "config.json").hasQKVBias)
    json["attention_bias"] = .bool(true)
    let config = try ModelConfig(huggingFaceConfig: .object(json), path: "config.json")
    #expect(config.hasQKVBias && config.ropeLayout == .halves)
  }

  @Test func theArchitectureRulesAreCheckedOnceNamingTheField() {
    let qwen2 = ModelConfig(
      architecture: .qwen2, vocabularySize: 8, hiddenSize: 32, intermediateSize: 64, layerCount: 1, headCount: 3,
      kvHeadCount: 2, headDim: 16, rmsNormEpsilon: 1e-6, ropeTheta: 1e4, maxPositions: 64, tieWordEmbeddings: true,
      hasQKNorm: false, hasQKVBias: true)
    func error(_ config: ModelConfig) -> ModelFileError? {
      do { try config.validate(file: "m.gguf") { "key." + $0 }; return nil } catch { return error }
    }
    #expect(error(qwen2)?.key == "key.kvHeadCount")
    var fixed = qwen2
    fixed.headCount = 4
    #expect(error(fixed) == nil)
    fixed.hasQKVBias = false
    #expect(error(fixed)?.key == "key.architecture")
    fixed.hasQKVBias = true
    fixed.headDim = 15
    #expect(error(fixed)?.detail.contains("even head_dim") == true)
  }

  /// Found by the reliability suite's model fuzzing: a block count of 2^31 made the loader
  /// reserve a terabyte and abort. Absurd sizes are refused, naming the key.
  @Test func absurdSizesAreRefusedBeforeAnythingIsReserved() throws {
    var b = GGUFBuilder.tinyModel(architecture: "llama")
    b.set("llama.block_count", .u32(2_147_483_647))
    #expect { try Self.config(b) } throws: { error in
      (error as? ModelFileError)?.key == "llama.block_count" && "\(error)".contains("at most 4096")
    }
  }

  @Test func yarnWithoutItsOriginalLengthIsAnError() throws {
    var b = GGUFBuilder.tinyModel(architecture: "qwen3")
    b.set("qwen3.rope.scaling.type", .string("yarn"))
    b.set("qwen3.rope.scaling.factor", .f32(4))
    #expect(throws: ModelFileError.self) { try Self.config(b) }
  }
}
