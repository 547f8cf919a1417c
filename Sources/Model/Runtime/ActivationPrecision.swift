import NightdeskKernels

/// How activations enter the products with quantized weights, chosen when a model is loaded.
public enum ActivationPrecision: String, Sendable, CaseIterable {
  /// The reference: float32 activations over exactly dequantized weights (what the fixtures check).
  case float32 = "f32"
  /// Each activation row quantized to int8 with one scale per 32-element block (per 256 for
  /// K-quant weights: llama.cpp's Q8_K), as llama.cpp does, and dotted with Q4_0 / Q4_1 / Q8_0 /
  /// Q4_K / Q5_K / Q6_K weight blocks in integers (AVX-512 VNNI, AVX2 maddubs, or scalar: the same
  /// bits at every level), over weights repacked at load into 16-row panels; other weights (Q5_0,
  /// Q5_1, F16, ...), norms and attention stay float32. Still
  /// batch-invariant (a row's logits are the same alone, batched or from a cached prefix),
  /// but NOT the reference: logits move by the activation rounding (`nightdesk
  /// compare-precision` measures by how much). It pays on compute-bound steps (measured on
  /// a Zen 5: prefill 2.3×, 32-sequence decode 1.7×); one sequence's decode is memory-bound
  /// either way (parity).
  case int8

  /// How keys and values are cached when no precision is asked for: float32 beside the
  /// reference, f16 beside int8 (as llama.cpp caches them). int8 logits already move by the
  /// activation rounding, and half the bytes are half the KV memory a cached document takes and
  /// half what attention reads over a shared prefix.
  public var defaultKVPrecision: KVPrecision { self == .int8 ? .f16 : .f32 }

  /// The kernel format for a weight of `type` (ND_Q8ACT_*), 0 when it stays float.
  func kernelFormat(for type: TensorType) -> Int32 {
    guard self == .int8 else { return 0 }
    return nd_q8act_type_for_kernel_index(Int32(QuantKernels.kernelIndex(type)))
  }
}
