import NightdeskKernels

/// A weight matrix `[out, in]` applied as y = x·Wᵀ (+ bias) to all rows of a
/// step at once. Stored rows are decoded tile by tile inside the kernel, so a
/// quantized matrix is never expanded whole.
struct Linear {
  let weight: TensorView
  let bias: FloatBuffer?
  /// ND_Q8ACT_* when this weight takes 8-bit activations, else 0 (ActivationPrecision).
  let activationFormat: Int32
  /// The weight repacked for the 8-bit-activation kernels, when it takes them.
  let panels: ActivationPanels?

  var outFeatures: Int { weight.rows }
  var inFeatures: Int { weight.columns }

  /// The decode and dot kernels of the model's level.
  let kernels: QuantKernels

  init(_ weight: TensorView, bias: TensorView? = nil, activations: ActivationPrecision = .float32,
       level: KernelLevel = .active) {
    self.weight = weight
    kernels = QuantKernels(weight.type, level: level)
    let format = weight.columns % 32 == 0 ? activations.kernelFormat(for: weight.type) : 0
    activationFormat = format
    panels = format != 0 ? ActivationPanels(weight: weight, format: format) : nil
    self.bias = bias.map { FloatBuffer($0.dequantizedRow(0)) }
  }

  /// The kernel job computing rows of `y` ([rows, ldy], columns from 0) from `x` ([rows, ldx]).
  func job(x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool = false) -> nd_linear_job {
    nd_linear_job(
      weights: UnsafeRawPointer(weight.data.baseAddress), row_bytes: Int64(weight.rowBytes),
      decode: weight.type == .f32 ? nil : kernels.dequantize, matvec: kernels.matvec,
      n: Int64(outFeatures), k: Int64(inFeatures), x: x, ldx: Int64(ldx), y: y, ldy: Int64(ldy),
      bias: bias.map { UnsafePointer($0.pointer) }, accumulate: accumulate ? 1 : 0, act_q8: activationFormat,
      act_q8_panels: panels.map { UnsafeRawPointer($0.pointer) })
  }

  /// Per-thread scratch a set of linears needs.
  static func scratchFloats(inFeatures: [Int]) -> Int {
    inFeatures.map { Int(nd_linear_scratch_floats(Int64($0))) }.max() ?? 0
  }

  /// Runs several independent products over the same `rows` in one parallel region.
  static func run(_ jobs: [nd_linear_job], rows: Int, pool: ComputePool, scratch: FloatBuffer, scratchPerThread: Int) {
    let status = jobs.withUnsafeBufferPointer {
      nd_linear_with(pool.kernels, pool.raw, $0.baseAddress, Int32($0.count), Int64(rows), scratch.pointer, Int64(scratchPerThread))
    }
    precondition(status == 0, "linear scratch too small: \(scratchPerThread) floats per thread")
  }
}
