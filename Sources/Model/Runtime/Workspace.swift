import NightdeskKernels

/// Activation buffers of one forward step, grown to the largest step seen and reused.
final class Workspace {
  let x = FloatBuffer()         // [rows, hidden] residual stream
  let normed = FloatBuffer()    // [rows, hidden]
  let q = FloatBuffer()         // [rows, heads, headDim]
  let k = FloatBuffer()         // [rows, kvHeads, headDim]
  let v = FloatBuffer()         // [rows, kvHeads, headDim]
  let attended = FloatBuffer()  // [rows, heads, headDim]
  let gate = FloatBuffer()      // [rows, intermediate]
  let up = FloatBuffer()        // [rows, intermediate]
  let logits = FloatBuffer()    // [logit rows, vocabulary]
  let linearScratch = FloatBuffer()     // [threads, linearScratchPerThread]
  let attentionScratch = FloatBuffer()  // [threads, attentionScratchPerThread]
  private(set) var attentionScratchPerThread = 0

  func reserve(config: ModelConfig, rows: Int, logitRows: Int, maxKeys: Int, blockSize: Int, threads: Int, linearScratchPerThread: Int) {
    let qWidth = config.headCount * config.headDim, kvWidth = config.kvHeadCount * config.headDim
    x.reserve(rows * config.hiddenSize)
    normed.reserve(rows * config.hiddenSize)
    q.reserve(rows * qWidth)
    k.reserve(rows * kvWidth)
    v.reserve(rows * kvWidth)
    attended.reserve(rows * qWidth)
    gate.reserve(rows * config.intermediateSize)
    up.reserve(rows * config.intermediateSize)
    logits.reserve(logitRows * config.vocabularySize)
    linearScratch.reserve(threads * linearScratchPerThread)
    let needed = Int(nd_attention_scratch_floats(Int64(maxKeys), Int64(blockSize), Int64(config.headDim)))
    if needed > attentionScratchPerThread {
      attentionScratchPerThread = max(needed, 2 * attentionScratchPerThread)
    }
    attentionScratch.reserve(threads * attentionScratchPerThread)
  }
}
