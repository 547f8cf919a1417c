import NightdeskKernels

/// What one step's layers share: sizes, the step's layout, buffers, threads.
struct StepContext {
  let rows: Int
  let layout: StepLayout
  let workspace: Workspace
  let pool: ComputePool
  let rope: RotaryEmbedding
  let kv: PagedKVStorage
  let linearScratchPerThread: Int
}

/// One decoder block: pre-norm attention and pre-norm SwiGLU, each added to the residual.
struct TransformerBlock {
  let attentionNorm: RMSNorm
  let attention: SelfAttention
  let ffnNorm: RMSNorm
  let feedForward: FeedForward

  func forward(step: StepContext, hidden: Int) {
    let ws = step.workspace
    attentionNorm.apply(ws.x.pointer, ldx: hidden, into: ws.normed.pointer, ldo: hidden, rows: step.rows, pool: step.pool)
    attention.forward(input: ws.normed.pointer, residual: ws.x.pointer, hidden: hidden, step: step)
    ffnNorm.apply(ws.x.pointer, ldx: hidden, into: ws.normed.pointer, ldo: hidden, rows: step.rows, pool: step.pool)
    feedForward.forward(input: ws.normed.pointer, residual: ws.x.pointer, hidden: hidden, step: step)
  }
}

/// The decoder-only transformer of Qwen3, Qwen2 and Llama (the differences are
/// switches in `ModelConfig`), float32 activations over weights decoded tile by
/// tile. Each weight is applied once per step to all rows of all sequences,
/// and every row is reduced in a fixed order, so a sequence's logits are the
/// same alone, batched, or continued from a cached prefix.
///
/// Not thread-safe: the engine confines a model to its step thread.
public final class TransformerModel: LanguageModel {
  public let config: ModelConfig
  public let identity: String
  /// Keeps the mapped files (and so every TensorView) alive.
  let source: TensorSource
  let embedding: Embedding
  let blocks: [TransformerBlock]
  let finalNorm: RMSNorm
  let lmHead: Linear
  let rope: RotaryEmbedding
  let pool: ComputePool
  let workspace = Workspace()
  let linearScratchPerThread: Int

  /// How activations meet quantized weights (`.float32`, the reference, unless asked otherwise).
  public let activations: ActivationPrecision

  /// The kernel level the forward pass runs (every level gives the same bits).
  public var kernelLevel: KernelLevel { pool.level }

  public init(config: ModelConfig, weights: ModelWeights, source: TensorSource, identity: String, threads: Int? = nil,
              activations: ActivationPrecision = .float32, kernels: KernelLevel = .active) {
    self.config = config
    self.activations = activations
    // Prefix-cache keys: KV computed with 8-bit activations is not the reference's KV.
    self.identity = activations == .float32 ? identity : identity + "|activations=" + activations.rawValue
    self.source = source
    embedding = Embedding(table: weights.embedding)
    blocks = weights.layers.enumerated().map { index, layer in
      TransformerBlock(
        attentionNorm: RMSNorm(layer.attentionNorm, epsilon: config.rmsNormEpsilon),
        attention: SelfAttention(layer: index, weights: layer, config: config, activations: activations, level: kernels),
        ffnNorm: RMSNorm(layer.ffnNorm, epsilon: config.rmsNormEpsilon),
        feedForward: FeedForward(weights: layer, activations: activations, level: kernels))
    }
    finalNorm = RMSNorm(weights.finalNorm, epsilon: config.rmsNormEpsilon)
    lmHead = Linear(weights.lmHead, activations: activations, level: kernels)
    rope = RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta, layout: config.ropeLayout, yarn: config.yarn)
    pool = ComputePool(threads: threads ?? ComputePool.defaultThreadCount, level: kernels)
    let linears = blocks.flatMap { $0.attention.linears + $0.feedForward.linears } + [lmHead]
    linearScratchPerThread = Linear.scratchFloats(inFeatures: linears.map(\.inFeatures))
  }

  /// Threads the forward pass computes with.
  public var threadCount: Int { pool.threads }

  public func kvBytesPerBlock(blockSize: Int, precision: KVPrecision) -> Int {
    PagedKVStorage.bytesPerBlock(config: config, blockSize: blockSize, precision: precision)
  }

  public func makeKVStorage(blockCount: Int, blockSize: Int, precision: KVPrecision) throws -> KVStorage {
    try PagedKVStorage(config: config, blockCount: blockCount, blockSize: blockSize, precision: precision)
  }

  public func forward(_ batch: ForwardBatch, kv: KVStorage) throws -> Logits {
    guard let kv = kv as? PagedKVStorage, kv.layers == config.layerCount,
          kv.tokenWidth == config.kvHeadCount * config.headDim else {
      throw ModelRuntimeError.invalidBatch("the KV storage was not made by this model's makeKVStorage")
    }
    let rows = batch.tokens.count
    let layout = try StepLayout(batch: batch, vocabularySize: config.vocabularySize, blockCount: kv.blockCount,
                                blockSize: kv.blockSize, maxPositions: Self.positionLimit(config))
    let vocabulary = config.vocabularySize
    guard rows > 0 else { return Logits(vocabularySize: vocabulary, values: []) }
    workspace.reserve(config: config, rows: rows, logitRows: layout.logitRows.count, maxKeys: layout.maxKeys, blockSize: kv.blockSize,
                      threads: pool.threads, linearScratchPerThread: linearScratchPerThread)
    rope.reserve(positions: layout.maxKeys)
    let step = StepContext(rows: rows, layout: layout, workspace: workspace, pool: pool, rope: rope, kv: kv,
                           linearScratchPerThread: linearScratchPerThread)
    let hidden = config.hiddenSize
    embedding.lookup(batch.tokens, into: workspace.x.pointer)
    for block in blocks { block.forward(step: step, hidden: hidden) }

    // Only the rows that want logits reach the LM head, gathered and normalised.
    let logitRows = layout.logitRows
    guard !logitRows.isEmpty else { return Logits(vocabularySize: vocabulary, values: []) }
    for (i, row) in logitRows.enumerated() {
      finalNorm.apply(workspace.x.pointer + row * hidden, ldx: hidden, into: workspace.normed.pointer + i * hidden,
                      ldo: hidden, rows: 1, pool: pool)
    }
    Linear.run([lmHead.job(x: workspace.normed.pointer, ldx: hidden, y: workspace.logits.pointer, ldy: vocabulary)],
               rows: logitRows.count, pool: pool, scratch: workspace.linearScratch, scratchPerThread: linearScratchPerThread)
    let values = Array(UnsafeBufferPointer(start: workspace.logits.pointer, count: logitRows.count * vocabulary))
    return Logits(vocabularySize: vocabulary, values: values)
  }

  /// Positions a sequence may reach: the configured context, or YaRN's extended one.
  static func positionLimit(_ config: ModelConfig) -> Int {
    guard let yarn = config.yarn else { return config.maxPositions }
    return max(config.maxPositions, Int(Double(yarn.originalMaxPositions) * yarn.factor))
  }
}
