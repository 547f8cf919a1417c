import NightdeskKernels

/// The kernels are compiled for the CPU of the machine that built them (`-march=native`).
/// A binary copied to a CPU without those extensions would die of SIGILL in its first
/// product; loading a model checks first and says what is missing and what to do.
public enum CPUSupport {
  /// Instruction-set extensions the kernels were compiled for (e.g. `avx512vnni`).
  public static var compiledFeatures: [String] { names(nd_cpu_compiled_features) }

  /// Those of `compiledFeatures` this CPU lacks.
  public static var missingFeatures: [String] { names(nd_cpu_missing_features) }

  public static func check() throws(CPUSupportError) {
    let missing = missingFeatures
    guard missing.isEmpty else { throw CPUSupportError(missing: missing, compiled: compiledFeatures) }
  }

  private static func names(_ fill: (UnsafeMutablePointer<CChar>?, Int) -> Int32) -> [String] {
    var buffer = [CChar](repeating: 0, count: 256)
    _ = buffer.withUnsafeMutableBufferPointer { fill($0.baseAddress, $0.count) }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.split(separator: " ").map(String.init)
  }
}

public struct CPUSupportError: Error, Sendable, Equatable, CustomStringConvertible {
  public var missing: [String]
  public var compiled: [String]

  public init(missing: [String], compiled: [String]) {
    self.missing = missing
    self.compiled = compiled
  }

  public var description: String {
    "this nightdesk's kernels were compiled for a CPU with \(compiled.joined(separator: ", ")) "
      + "(-march=native on the machine that built them); this CPU lacks \(missing.joined(separator: ", ")). "
      + "Build nightdesk on this machine (Ops/setup, then swift build -c release)."
  }
}
