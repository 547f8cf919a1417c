import NightdeskKernels

/// SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)), added to the residual stream.
struct FeedForward {
  let gate: Linear, up: Linear, down: Linear

  init(weights: LayerWeights, activations: ActivationPrecision = .float32, level: KernelLevel = .active) {
    gate = Linear(weights.gate, activations: activations, level: level)
    up = Linear(weights.up, activations: activations, level: level)
    down = Linear(weights.down, activations: activations, level: level)
  }

  var linears: [Linear] { [gate, up, down] }

  func forward(input: UnsafePointer<Float>, residual: UnsafeMutablePointer<Float>, hidden: Int, step: StepContext) {
    let ws = step.workspace, rows = step.rows, width = gate.outFeatures
    Linear.run([gate.job(x: input, ldx: hidden, y: ws.gate.pointer, ldy: width),
                up.job(x: input, ldx: hidden, y: ws.up.pointer, ldy: width)],
               rows: rows, pool: step.pool, scratch: ws.linearScratch, scratchPerThread: step.linearScratchPerThread)
    nd_silu_mul_with(step.pool.kernels, ws.gate.pointer, ws.up.pointer, Int64(rows * width))
    Linear.run([down.job(x: ws.gate.pointer, ldx: width, y: residual, ldy: hidden, accumulate: true)],
               rows: rows, pool: step.pool, scratch: ws.linearScratch, scratchPerThread: step.linearScratchPerThread)
  }
}
