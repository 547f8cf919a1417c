import NightdeskKernels

/// RMSNorm: w ⊙ x / sqrt(mean(x²) + ε), row by row.
struct RMSNorm {
  let weight: FloatBuffer
  let size: Int
  let epsilon: Float

  init(_ weight: TensorView, epsilon: Float) {
    self.weight = FloatBuffer(weight.dequantizedRow(0))
    size = weight.columns
    self.epsilon = epsilon
  }

  /// Normalises `rows` rows of `size` floats (stride `ldx`) into `out` (stride `ldo`); in place is fine.
  func apply(_ x: UnsafePointer<Float>, ldx: Int, into out: UnsafeMutablePointer<Float>, ldo: Int, rows: Int,
             pool: ComputePool) {
    nd_rmsnorm_with(pool.kernels, x, Int64(ldx), weight.pointer, out, Int64(ldo), Int64(rows), Int64(size), epsilon)
  }
}
