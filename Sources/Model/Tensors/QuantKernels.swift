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

  public let dequantize: Dequantize
  public let dot: Dot
  public let matvec: MatVec

  /// The kernels of `level` (nil: the process's level, `KernelLevel.active`). All levels
  /// give the same bits; tests compare them. The level must be one this CPU supports.
  public init(_ type: TensorType, level: KernelLevel? = nil) {
    let table = nd_quant_kernels_for(Int32(Self.kernelIndex(type)), level?.rawValue ?? Int32(ND_LEVEL_ACTIVE))
    // Every TensorType has an entry; a level the CPU lacks is a caller's bug.
    guard let dequantize = table.dequantize, let dot = table.dot, let matvec = table.matvec else {
      preconditionFailure("kernel level \(level?.name ?? "active") is not supported by this CPU")
    }
    self.dequantize = dequantize
    self.dot = dot
    self.matvec = matvec
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
