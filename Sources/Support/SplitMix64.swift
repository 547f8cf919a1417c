/// SplitMix64's finaliser: cheap, with full avalanche. The prefix cache chains
/// block hashes with it, the sampler draws its counter-based random numbers from
/// it, and benchmarks spread synthetic token ids with it.
public enum SplitMix64 {
  @inlinable @inline(__always)
  public static func mix(_ input: UInt64) -> UInt64 {
    var z = input &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
