import NightdeskKernels

/// The C kernels for one tensor type: dequantize a row, dot a row with an f32
/// vector, or many rows with one vector (fixed reduction order, see `nd_quants.h`:
/// the dot equals `nd_dot_fixed` of the dequantized row, bit for bit). `reference` picks the
/// scalar implementations, which tests hold the SIMD ones against.
public struct QuantKernels: Sendable {
  public typealias Dequantize = @convention(c) (UnsafeRawPointer?, UnsafeMutablePointer<Float>?, Int64) -> Void
  public typealias Dot = @convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int64) -> Float
  /// (weights, row bytes, rows, x, n, y): y[r] = dot(row r, x).
  public typealias MatVec = @convention(c) (UnsafeRawPointer?, Int64, Int64, UnsafePointer<Float>?, Int64,
                                            UnsafeMutablePointer<Float>?) -> Void

  public let dequantize: Dequantize
  public let dot: Dot
  public let matvec: MatVec

  /// Whether the fast kernels are SIMD (AVX-512) or fall back to the references.
  public static var simdEnabled: Bool { nd_quants_simd_enabled() != 0 }

  public init(_ type: TensorType, reference: Bool = false) {
    switch (type, reference) {
    case (.f32, false): (dequantize, dot, matvec) = (nd_dequantize_row_f32, nd_dot_f32_f32, nd_matvec_f32)
    case (.f32, true): (dequantize, dot, matvec) = (nd_dequantize_row_f32_ref, nd_dot_f32_f32_ref, nd_matvec_f32_ref)
    case (.f16, false): (dequantize, dot, matvec) = (nd_dequantize_row_f16, nd_dot_f16_f32, nd_matvec_f16)
    case (.f16, true): (dequantize, dot, matvec) = (nd_dequantize_row_f16_ref, nd_dot_f16_f32_ref, nd_matvec_f16_ref)
    case (.bf16, false): (dequantize, dot, matvec) = (nd_dequantize_row_bf16, nd_dot_bf16_f32, nd_matvec_bf16)
    case (.bf16, true): (dequantize, dot, matvec) = (nd_dequantize_row_bf16_ref, nd_dot_bf16_f32_ref, nd_matvec_bf16_ref)
    case (.q4_0, false): (dequantize, dot, matvec) = (nd_dequantize_row_q4_0, nd_dot_q4_0_f32, nd_matvec_q4_0)
    case (.q4_0, true): (dequantize, dot, matvec) = (nd_dequantize_row_q4_0_ref, nd_dot_q4_0_f32_ref, nd_matvec_q4_0_ref)
    case (.q4_1, false): (dequantize, dot, matvec) = (nd_dequantize_row_q4_1, nd_dot_q4_1_f32, nd_matvec_q4_1)
    case (.q4_1, true): (dequantize, dot, matvec) = (nd_dequantize_row_q4_1_ref, nd_dot_q4_1_f32_ref, nd_matvec_q4_1_ref)
    case (.q5_0, false): (dequantize, dot, matvec) = (nd_dequantize_row_q5_0, nd_dot_q5_0_f32, nd_matvec_q5_0)
    case (.q5_0, true): (dequantize, dot, matvec) = (nd_dequantize_row_q5_0_ref, nd_dot_q5_0_f32_ref, nd_matvec_q5_0_ref)
    case (.q5_1, false): (dequantize, dot, matvec) = (nd_dequantize_row_q5_1, nd_dot_q5_1_f32, nd_matvec_q5_1)
    case (.q5_1, true): (dequantize, dot, matvec) = (nd_dequantize_row_q5_1_ref, nd_dot_q5_1_f32_ref, nd_matvec_q5_1_ref)
    case (.q8_0, false): (dequantize, dot, matvec) = (nd_dequantize_row_q8_0, nd_dot_q8_0_f32, nd_matvec_q8_0)
    case (.q8_0, true): (dequantize, dot, matvec) = (nd_dequantize_row_q8_0_ref, nd_dot_q8_0_f32_ref, nd_matvec_q8_0_ref)
    case (.q4_K, false): (dequantize, dot, matvec) = (nd_dequantize_row_q4_K, nd_dot_q4_K_f32, nd_matvec_q4_K)
    case (.q4_K, true): (dequantize, dot, matvec) = (nd_dequantize_row_q4_K_ref, nd_dot_q4_K_f32_ref, nd_matvec_q4_K_ref)
    case (.q5_K, false): (dequantize, dot, matvec) = (nd_dequantize_row_q5_K, nd_dot_q5_K_f32, nd_matvec_q5_K)
    case (.q5_K, true): (dequantize, dot, matvec) = (nd_dequantize_row_q5_K_ref, nd_dot_q5_K_f32_ref, nd_matvec_q5_K_ref)
    case (.q6_K, false): (dequantize, dot, matvec) = (nd_dequantize_row_q6_K, nd_dot_q6_K_f32, nd_matvec_q6_K)
    case (.q6_K, true): (dequantize, dot, matvec) = (nd_dequantize_row_q6_K_ref, nd_dot_q6_K_f32_ref, nd_matvec_q6_K_ref)
    }
  }
}
