import NightdeskSupport

/// Random numbers as a pure function of (seed, step): a request's n-th draw never
/// depends on how many draws other requests made, on batch order or on preemption,
/// so the same seed gives the same tokens in any batch.
enum CounterRNG {
  /// A uniform double in [0, 1) for draw `step` of stream `seed`.
  static func uniform(seed: UInt64, step: Int) -> Double {
    let bits = SplitMix64.mix(SplitMix64.mix(seed) ^ UInt64(truncatingIfNeeded: step))
    return Double(bits >> 11) * 0x1.0p-53
  }
}
