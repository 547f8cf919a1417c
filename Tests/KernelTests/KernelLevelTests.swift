import Foundation
import NightdeskModel
import Testing

/// The kernel levels a CPU can run, read from CPUID, against what /proc/cpuinfo says;
/// the level the process runs; and the errors for a bad NIGHTDESK_KERNELS.
@Suite struct KernelLevelTests {
  /// /proc/cpuinfo spells some extensions with an underscore.
  static let cpuinfoName = ["avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16", "avxvnni": "avx_vnni"]

  @Test func theMissingExtensionsOfEachLevelAreThoseCpuinfoLacks() throws {
    #expect(KernelLevel.generic.isSupported && KernelLevel.generic.missingExtensions.isEmpty)
    #if arch(x86_64)
    let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    let needs: [KernelLevel: [String]] = [
      .avx2: ["avx", "avx2", "fma", "f16c"],
      .avx512: ["avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq"],
    ]
    for (level, extensions) in needs {
      let lacking = extensions.filter { !flags.contains(Self.cpuinfoName[$0] ?? $0) }
      #expect(level.missingExtensions == lacking, "\(level)")
      #expect(level.isSupported == lacking.isEmpty, "\(level)")
    }
    #else
    #expect(KernelLevel.supported == [.generic])
    #endif
  }

  @Test func theProcessRunsTheLevelTheEnvironmentNamesOrTheBest() {
    let environment = ProcessInfo.processInfo.environment
    if let name = environment[KernelLevel.environmentVariable], let level = KernelLevel(name: name) {
      #expect(KernelLevel.active == level)
    } else {
      #expect(KernelLevel.active == KernelLevel.supported.last)
    }
    #expect(KernelLevel.supported.first == .generic)
  }

  @Test func namesRoundTripAndUnknownOnesAreRefused() {
    for level in KernelLevel.allCases { #expect(KernelLevel(name: level.name) == level) }
    #expect(KernelLevel(name: "AVX2") == nil)
    #expect(throws: KernelLevelError.unknown("sse4")) {
      try KernelLevel.checkEnvironment(["NIGHTDESK_KERNELS": "sse4"])
    }
    #expect(throws: Never.self) { try KernelLevel.checkEnvironment([:]) }
    #expect(throws: Never.self) { try KernelLevel.checkEnvironment(["NIGHTDESK_KERNELS": "generic"]) }
  }

  @Test func aLevelTheCPULacksIsRefusedNamingWhatIsMissing() {
    let error = KernelLevelError.unsupported(.avx512, missing: ["avx512f", "avx512bw"])
    #expect(error.description.contains("NIGHTDESK_KERNELS=avx512 needs avx512f, avx512bw"))
    #expect(error.description.contains("it can run generic"))
    for level in KernelLevel.allCases where !level.isSupported {
      #expect(throws: KernelLevelError.unsupported(level, missing: level.missingExtensions)) {
        try KernelLevel.checkEnvironment(["NIGHTDESK_KERNELS": level.name])
      }
    }
  }
}
