import Foundation
import NightdeskModel
import NightdeskTestSupport
import Testing

/// Hugging Face folders: the real fixture loads; corrupted copies fail with errors naming what is wrong.
@Suite("Safetensors and config.json loading")
struct SafetensorsLoadingTests {
  static let folder = TestPaths.fixture("qwen3-tiny")

  /// A copy of the qwen3-tiny folder's config + weights, with `edit` applied to the files.
  func corruptedCopy(weights: (inout Data) -> Void = { _ in }, config: (inout String) -> Void = { _ in }) throws -> URL {
    let dir = try TestPaths.temporaryDirectory("st")
    var data = try Data(contentsOf: Self.folder.appendingPathComponent("model.safetensors"))
    weights(&data)
    try data.write(to: dir.appendingPathComponent("model.safetensors"))
    var text = try String(contentsOf: Self.folder.appendingPathComponent("config.json"), encoding: .utf8)
    config(&text)
    try text.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    return dir
  }

  func loadError(_ dir: URL) -> ModelFileError? {
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      _ = try ModelPackage.open(dir.path).loadModel(threads: 1)
      return nil
    } catch let error as ModelFileError {
      return error
    } catch {
      Issue.record("unexpected error type: \(error)")
      return nil
    }
  }

  @Test("config.json of qwen3-tiny: head_dim 32 independent of hidden/heads, tied, q/k norm")
  func config() throws {
    let config = try ModelConfig(huggingFaceConfig: Self.folder.appendingPathComponent("config.json"))
    #expect(config.architecture == .qwen3 && config.headDim == 32 && config.hiddenSize == 64)
    #expect(config.tieWordEmbeddings && config.hasQKNorm && !config.hasQKVBias && config.ropeTheta == 1e6)
    let file = try SafetensorsFile(url: Self.folder.appendingPathComponent("model.safetensors"))
    #expect(file.tensorNames.count == 35)
    #expect(try file.tensor(named: "model.layers.0.self_attn.q_proj.weight").shape == [128, 64])
  }

  @Test("YaRN rope_scaling is read from config.json")
  func yarnConfig() throws {
    let dir = try corruptedCopy(config: {
      $0 = $0.replacingOccurrences(of: "\"rope_scaling\": null",
                                   with: "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}")
    })
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = try ModelConfig(huggingFaceConfig: dir.appendingPathComponent("config.json"))
    #expect(config.yarn == YaRNScaling(factor: 4, originalMaxPositions: 32768))
  }

  @Test("truncated weights name the tensor that runs past the end")
  func truncated() throws {
    let error = loadError(try corruptedCopy(weights: { $0 = $0.prefix($0.count - 1000) }))
    #expect(error?.kind == .outOfBounds && error?.tensor != nil)
  }

  @Test("an absurd header length is rejected as not safetensors")
  func badHeader() throws {
    let error = loadError(try corruptedCopy(weights: { $0.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8)) }))
    #expect(error?.kind == .badMagic)
  }

  @Test("an unknown dtype is named")
  func unknownDType() throws {
    let error = loadError(try corruptedCopy(weights: { data in
      let range = data.range(of: Data("\"BF16\"".utf8))!
      data.replaceSubrange(range, with: Data("\"I8XX\"".utf8))
    }))
    #expect(error?.kind == .unsupportedTensorType && error?.tensor != nil)
  }

  @Test("a config that disagrees with the tensors gives a shape mismatch naming the tensor")
  func shapeMismatch() throws {
    let error = loadError(try corruptedCopy(config: { $0 = $0.replacingOccurrences(of: "\"intermediate_size\": 192", with: "\"intermediate_size\": 256") }))
    #expect(error?.kind == .shapeMismatch && error?.tensor == "model.layers.0.mlp.gate_proj.weight")
  }

  @Test("a missing tensor is named")
  func missingTensor() throws {
    let error = loadError(try corruptedCopy(config: { $0 = $0.replacingOccurrences(of: "\"tie_word_embeddings\": true", with: "\"tie_word_embeddings\": false") }))
    #expect(error?.kind == .missingTensor && error?.tensor == "lm_head.weight")
  }

  @Test("a missing config field is named")
  func missingField() throws {
    let error = loadError(try corruptedCopy(config: { $0 = $0.replacingOccurrences(of: "\"hidden_size\"", with: "\"hidden_sizeX\"") }))
    #expect(error?.kind == .missingKey && error?.key == "hidden_size")
  }
}
