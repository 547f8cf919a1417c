import NightdeskKernels

/// Grouped-query self-attention over the paged KV cache: q/k/v projections (one
/// parallel region), optional per-head q/k RMSNorm (Qwen3) before RoPE, keys and
/// values written at each row's position, causal attention, output projection
/// added to the residual stream.
struct SelfAttention {
  let layer: Int
  let q: Linear, k: Linear, v: Linear, o: Linear
  let qNorm: RMSNorm?, kNorm: RMSNorm?
  let heads: Int, kvHeads: Int, headDim: Int

  init(layer: Int, weights: LayerWeights, config: ModelConfig, activations: ActivationPrecision = .float32,
       level: KernelLevel = .active) {
    self.layer = layer
    q = Linear(weights.q, bias: weights.qBias, activations: activations, level: level)
    k = Linear(weights.k, bias: weights.kBias, activations: activations, level: level)
    v = Linear(weights.v, bias: weights.vBias, activations: activations, level: level)
    o = Linear(weights.o, activations: activations, level: level)
    qNorm = weights.qNorm.map { RMSNorm($0, epsilon: config.rmsNormEpsilon) }
    kNorm = weights.kNorm.map { RMSNorm($0, epsilon: config.rmsNormEpsilon) }
    heads = config.headCount
    kvHeads = config.kvHeadCount
    headDim = config.headDim
  }

  var linears: [Linear] { [q, k, v, o] }

  /// `input` is the normalised residual ([rows, hidden]); the result is added to `residual`.
  func forward(input: UnsafePointer<Float>, residual: UnsafeMutablePointer<Float>, hidden: Int, step: StepContext) {
    let ws = step.workspace, rows = step.rows
    let qWidth = heads * headDim, kvWidth = kvHeads * headDim
    Linear.run([q.job(x: input, ldx: hidden, y: ws.q.pointer, ldy: qWidth),
                k.job(x: input, ldx: hidden, y: ws.k.pointer, ldy: kvWidth),
                v.job(x: input, ldx: hidden, y: ws.v.pointer, ldy: kvWidth)],
               rows: rows, pool: step.pool, scratch: ws.linearScratch, scratchPerThread: step.linearScratchPerThread)
    qNorm?.apply(ws.q.pointer, ldx: headDim, into: ws.q.pointer, ldo: headDim, rows: rows * heads, pool: step.pool)
    kNorm?.apply(ws.k.pointer, ldx: headDim, into: ws.k.pointer, ldo: headDim, rows: rows * kvHeads, pool: step.pool)
    step.rope.apply(ws.q.pointer, stride: qWidth, heads: heads, positions: step.layout.positions)
    step.rope.apply(ws.k.pointer, stride: kvWidth, heads: kvHeads, positions: step.layout.positions)

    let kv = step.kv
    let keys = kv.layerKeys(layer), values = kv.layerValues(layer)
    step.layout.tables.withUnsafeBufferPointer { tables in
      for row in 0..<rows {
        let table = tables.baseAddress! + step.layout.tableOffsets[row]
        kv.store(layer: layer, position: Int(step.layout.positions[row]), blockTable: table,
                 keys: ws.k.pointer + row * kvWidth, values: ws.v.pointer + row * kvWidth)
      }
      let tablePointers: [UnsafePointer<Int32>?] = (0..<rows).map { UnsafePointer(tables.baseAddress! + step.layout.tableOffsets[$0]) }
      tablePointers.withUnsafeBufferPointer { rowTables in
        step.layout.positions.withUnsafeBufferPointer { positions in
          var job = nd_attention_job(
            rows: Int64(rows), heads: Int64(heads), kv_heads: Int64(kvHeads), head_dim: Int64(headDim),
            block_size: Int64(kv.blockSize), q: ws.q.pointer, out: ws.attended.pointer,
            k_cache: keys, v_cache: values, kv_format: kv.kernelFormat, positions: positions.baseAddress, block_tables: rowTables.baseAddress,
            scale: 1 / Float(headDim).squareRoot(), scratch: ws.attentionScratch.pointer,
            scratch_per_thread: Int64(ws.attentionScratchPerThread))
          nd_attention_with(step.pool.kernels, step.pool.raw, &job)
        }
      }
    }
    Linear.run([o.job(x: ws.attended.pointer, ldx: qWidth, y: residual, ldy: hidden, accumulate: true)],
               rows: rows, pool: step.pool, scratch: ws.linearScratch, scratchPerThread: step.linearScratchPerThread)
  }
}
