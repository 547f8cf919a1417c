/// How a tensor's elements are stored: plain floats or one of GGUF's quantized
/// block formats. Quantized rows are made of fixed-size blocks; a row's length
/// must be a multiple of `blockElements`.
public enum TensorType: String, Sendable, CaseIterable, Hashable {
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"
  case q4_0 = "Q4_0"
  case q4_1 = "Q4_1"
  case q5_0 = "Q5_0"
  case q5_1 = "Q5_1"
  case q8_0 = "Q8_0"
  case q4_K = "Q4_K"
  case q5_K = "Q5_K"
  case q6_K = "Q6_K"

  /// Elements per block (1 for plain float types).
  public var blockElements: Int {
    switch self {
    case .f32, .f16, .bf16: return 1
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
    case .q4_K, .q5_K, .q6_K: return 256
    }
  }

  /// Bytes per block, as ggml lays them out.
  public var blockBytes: Int {
    switch self {
    case .f32: return 4
    case .f16, .bf16: return 2
    case .q4_0: return 18   // f16 d, 16 bytes of nibbles
    case .q4_1: return 20   // f16 d, f16 m, 16 bytes of nibbles
    case .q5_0: return 22   // f16 d, 4 bytes of high bits, 16 bytes of nibbles
    case .q5_1: return 24   // f16 d, f16 m, 4 bytes of high bits, 16 bytes of nibbles
    case .q8_0: return 34   // f16 d, 32 int8
    case .q4_K: return 144  // f16 d, f16 dmin, 12 bytes of 6-bit scales, 128 bytes of nibbles
    case .q5_K: return 176  // f16 d, f16 dmin, 12 bytes of scales, 32 bytes of high bits, 128 of nibbles
    case .q6_K: return 210  // 128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, f16 d
    }
  }

  public var isQuantized: Bool { blockElements > 1 }

  /// Bytes needed for `elements` elements, or nil when `elements` is not a whole number of blocks.
  public func byteCount(elements: Int) -> Int? {
    guard elements >= 0, elements % blockElements == 0 else { return nil }
    let (bytes, overflow) = (elements / blockElements).multipliedReportingOverflow(by: blockBytes)
    return overflow ? nil : bytes
  }

  /// GGUF's `ggml_type` numbers.
  public init?(ggmlType: UInt32) {
    switch ggmlType {
    case 0: self = .f32
    case 1: self = .f16
    case 2: self = .q4_0
    case 3: self = .q4_1
    case 6: self = .q5_0
    case 7: self = .q5_1
    case 8: self = .q8_0
    case 12: self = .q4_K
    case 13: self = .q5_K
    case 14: self = .q6_K
    case 30: self = .bf16
    default: return nil
    }
  }

  /// Safetensors dtype names this loader accepts.
  public init?(safetensorsDType: String) {
    switch safetensorsDType {
    case "F32": self = .f32
    case "F16": self = .f16
    case "BF16": self = .bf16
    default: return nil
    }
  }
}
