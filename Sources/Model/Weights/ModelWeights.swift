/// The tensors of one transformer block, as stored (zero-copy views).
public struct LayerWeights: Sendable {
  public var attentionNorm: TensorView
  public var q: TensorView, k: TensorView, v: TensorView, o: TensorView
  public var qNorm: TensorView?, kNorm: TensorView?
  public var qBias: TensorView?, kBias: TensorView?, vBias: TensorView?
  public var ffnNorm: TensorView
  public var gate: TensorView, up: TensorView, down: TensorView
}

/// Every weight the forward pass reads, found by its logical role in either
/// file format and checked against the configuration, so a missing or
/// mis-shaped tensor is reported by name before anything runs.
public struct ModelWeights: Sendable {
  public var embedding: TensorView
  public var layers: [LayerWeights]
  public var finalNorm: TensorView
  /// The output projection: `embedding` itself when the embeddings are tied.
  public var lmHead: TensorView

  public init(source: TensorSource, config: ModelConfig, naming: WeightNaming) throws {
    let loader = WeightLoader(source: source, naming: naming)
    let hidden = config.hiddenSize, ffn = config.intermediateSize, hd = config.headDim
    let qWidth = config.headCount * hd, kvWidth = config.kvHeadCount * hd
    embedding = try loader.load(.embedding, shape: [config.vocabularySize, hidden])
    finalNorm = try loader.load(.finalNorm, shape: [hidden])
    if config.tieWordEmbeddings {
      lmHead = embedding
    } else {
      lmHead = try loader.load(.lmHead, shape: [config.vocabularySize, hidden])
    }
    layers = try (0..<config.layerCount).map { layer in
      func w(_ role: WeightRole, _ shape: [Int]) throws -> TensorView { try loader.load(role, layer: layer, shape: shape) }
      return LayerWeights(
        attentionNorm: try w(.attentionNorm, [hidden]),
        q: try w(.q, [qWidth, hidden]), k: try w(.k, [kvWidth, hidden]), v: try w(.v, [kvWidth, hidden]),
        o: try w(.o, [hidden, qWidth]),
        qNorm: config.hasQKNorm ? try w(.qNorm, [hd]) : nil,
        kNorm: config.hasQKNorm ? try w(.kNorm, [hd]) : nil,
        qBias: config.hasQKVBias ? try w(.qBias, [qWidth]) : nil,
        kBias: config.hasQKVBias ? try w(.kBias, [kvWidth]) : nil,
        vBias: config.hasQKVBias ? try w(.vBias, [kvWidth]) : nil,
        ffnNorm: try w(.ffnNorm, [hidden]),
        gate: try w(.gate, [ffn, hidden]), up: try w(.up, [ffn, hidden]), down: try w(.down, [hidden, ffn]))
    }
  }
}

struct WeightLoader {
  let source: TensorSource
  let naming: WeightNaming

  func load(_ role: WeightRole, layer: Int? = nil, shape: [Int]) throws -> TensorView {
    let name = naming.name(role, layer: layer)
    guard source.hasTensor(name) else {
      throw ModelFileError(.missingTensor, file: source.sourceDescription, tensor: name,
                           "the model needs this tensor (\(role.rawValue)\(layer.map { " of layer \($0)" } ?? ""))")
    }
    let view = try source.tensor(named: name)
    guard view.shape == shape else {
      throw ModelFileError(.shapeMismatch, file: source.sourceDescription, tensor: name,
                           "expected shape \(shape) from the model configuration, found \(view.shape)")
    }
    guard view.columns % view.type.blockElements == 0 else {
      throw ModelFileError(.shapeMismatch, file: source.sourceDescription, tensor: name,
                           "rows of \(view.columns) elements are not whole \(view.type.rawValue) blocks")
    }
    return view
  }
}
