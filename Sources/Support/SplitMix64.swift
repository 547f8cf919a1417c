/// SplitMix64: a seeded generator (the same seed gives the same values on every run:
/// test data, benchmark workloads) and its finaliser, cheap with full avalanche, which
/// the prefix cache chains block hashes with and the sampler draws its counter-based
/// random numbers from.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return Self.mix(state &- 0x9E37_79B9_7F4A_7C15)
  }

  /// The finaliser of `input + golden ratio`.
  @inlinable @inline(__always)
  public static func mix(_ input: UInt64) -> UInt64 {
    var z = input &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
