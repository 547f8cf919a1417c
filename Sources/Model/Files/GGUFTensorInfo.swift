/// One entry of a GGUF file's tensor table, validated: its bytes lie inside the
/// data section and its row length is a whole number of blocks.
public struct GGUFTensorInfo: Sendable, Equatable {
  public let name: String
  public let type: TensorType
  /// Row-major, outermost first: GGUF's `ne` (fastest-varying first) reversed.
  public let shape: [Int]
  /// Absolute file offset of the first byte.
  public let fileOffset: Int
  public let byteCount: Int
}

/// Names of ggml's tensor types, so an unsupported one is reported by name.
enum GGMLTypeName {
  static func name(_ id: UInt32) -> String {
    let names: [UInt32: String] = [
      0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_2 (removed)", 5: "Q4_3 (removed)", 6: "Q5_0",
      7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
      15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
      22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
      30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]
    return names[id] ?? "unknown"
  }

  static var supported: String { TensorType.allCases.map(\.rawValue).joined(separator: ", ") }
}
