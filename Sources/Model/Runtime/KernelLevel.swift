import Foundation
import NightdeskKernels

/// Which instruction set the kernels run (`nd_cpu.h`): every level is in every x86-64
/// build, the process takes the best its CPU has, or the one `NIGHTDESK_KERNELS` names.
/// All levels give the same bits, so a job retried on another worker of a mixed fleet
/// gives the same text.
public enum KernelLevel: Int32, Sendable, CaseIterable, CustomStringConvertible {
  /// Plain C: every CPU, every architecture.
  case generic = 0
  /// AVX2 + FMA + F16C.
  case avx2 = 1
  /// AVX-512 F/BW/VL/DQ.
  case avx512 = 2

  /// The variable that forces a level at or below what the CPU has.
  public static let environmentVariable = "NIGHTDESK_KERNELS"

  public var name: String { String(cString: nd_level_name(rawValue)) }
  public var description: String { name }

  public init?(name: String) {
    let level = nd_level_parse(name)
    guard level >= 0, let known = KernelLevel(rawValue: level) else { return nil }
    self = known
  }

  /// The extensions this level needs that this CPU lacks (empty when it can run it).
  public var missingExtensions: [String] {
    var buffer = [CChar](repeating: 0, count: 256)
    _ = buffer.withUnsafeMutableBufferPointer { nd_level_missing(rawValue, $0.baseAddress, $0.count) }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.split(separator: " ").map(String.init)
  }

  public var isSupported: Bool { nd_level_supported(rawValue) != 0 }

  /// Every level this CPU runs, lowest first.
  public static var supported: [KernelLevel] { allCases.filter(\.isSupported) }

  /// The level the kernels of this process run.
  public static var active: KernelLevel { KernelLevel(rawValue: nd_level_active()) ?? .generic }

  /// The 8-bit-activation product this level runs: "avx512-vnni", "avx-vnni", "avx2" or "scalar".
  public var int8Kernel: String { nd_q8act_kernel_name(rawValue).map { String(cString: $0) } ?? "none" }

  /// The kernels' table for this level (nil when the CPU lacks it), for `_with` calls.
  public var table: OpaquePointer? { nd_kernels_at(rawValue) }

  /// The CPU's model name (/proc/cpuinfo), for speed figures: every figure names its CPU.
  public static var cpuName: String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }

  /// Checks `NIGHTDESK_KERNELS` before a model loads: a name that is no level, or a level
  /// this CPU lacks, is refused with what is wrong (the kernels would otherwise quietly run
  /// the best level).
  public static func checkEnvironment(_ environment: [String: String]) throws(KernelLevelError) {
    guard let value = environment[environmentVariable], !value.isEmpty else { return }
    guard let level = KernelLevel(name: value) else { throw .unknown(value) }
    let missing = level.missingExtensions
    guard missing.isEmpty else { throw .unsupported(level, missing: missing) }
  }
}

public enum KernelLevelError: Error, Sendable, Equatable, CustomStringConvertible {
  case unknown(String)
  case unsupported(KernelLevel, missing: [String])

  public var description: String {
    switch self {
    case .unknown(let value):
      return "\(KernelLevel.environmentVariable)=\(value) is not a kernel level: use "
        + KernelLevel.allCases.map(\.name).joined(separator: ", ") + ", or leave it unset for the best this CPU has"
    case .unsupported(let level, let missing):
      return "\(KernelLevel.environmentVariable)=\(level.name) needs \(missing.joined(separator: ", ")), which this CPU "
        + "lacks; it can run " + KernelLevel.supported.map(\.name).joined(separator: ", ")
    }
  }
}
