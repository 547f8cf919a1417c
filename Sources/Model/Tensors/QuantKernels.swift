import NightdeskKernels

/// The C kernels for one tensor type: dequantize a row, dot a row with an f32
/// vector, or many rows with one vector (fixed reduction order, see `nd_quants.h`:
/// the dot equals `nd_dot_fixed` of the dequantized row, bit for bit).
public struct QuantKernels: Sendable {
  public typealias Dequantize = @convention(c) (UnsafeRawPointer?, UnsafeMutablePointer<Float>?, Int64) -> Void
  public typealias Dot = @convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int64) -> Float
  /// (weights, row bytes, rows, x, n, y): y[r] = dot(row r, x).
  public typealias MatVec = @convention(c) (UnsafeRawPointer?, Int64, Int64, UnsafePointer<Float>?, Int64,
                                            UnsafeMutablePointer<Float>?) -> Void

  /// Which implementation to run. All give the same bits; tests compare them.
  public enum Implementation: Sendable {
    /// What the build targets: AVX-512, else AVX2, else the references.
    case fastest
    /// The scalar references.
    case reference
    /// The AVX2 kernels, compiled into every x86-64 build (check `avx2Supported` first).
    case avx2
  }

  public let dequantize: Dequantize
  public let dot: Dot
  public let matvec: MatVec

  /// 2 when the fast kernels are AVX-512, 1 AVX2, 0 the scalar references.
  public static var simdLevel: Int { Int(nd_quants_simd_enabled()) }
  public static var simdEnabled: Bool { simdLevel > 0 }
  /// Whether this CPU can run `.avx2`.
  public static var avx2Supported: Bool { nd_quants_avx2_supported() != 0 }

  public init(_ type: TensorType, _ implementation: Implementation = .fastest) {
    let choice: nd_kernel_choice
    switch implementation {
    case .fastest: choice = ND_KERNELS_FASTEST
    case .reference: choice = ND_KERNELS_REFERENCE
    case .avx2: choice = ND_KERNELS_AVX2
    }
    let table = nd_quant_kernels_for(Int32(Self.kernelIndex(type)), choice)
    // Every TensorType has an entry, so the table is never empty (an internal invariant).
    dequantize = table.dequantize!
    dot = table.dot!
    matvec = table.matvec!
  }

  public init(_ type: TensorType, reference: Bool) {
    self.init(type, reference ? .reference : .fastest)
  }

  /// The type's position in `ND_QUANT_KERNELS`.
  static func kernelIndex(_ type: TensorType) -> Int {
    switch type {
    case .f32: return 0
    case .f16: return 1
    case .bf16: return 2
    case .q4_0: return 3
    case .q4_1: return 4
    case .q5_0: return 5
    case .q5_1: return 6
    case .q8_0: return 7
    case .q4_K: return 8
    case .q5_K: return 9
    case .q6_K: return 10
    }
  }
}
