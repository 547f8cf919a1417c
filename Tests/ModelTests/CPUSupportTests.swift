import Foundation
import NightdeskModel
import Testing

/// The kernels' CPU check, on the machine that built them: nothing is missing, and what
/// they were compiled for is what the kernel reports this CPU has.
@Suite struct CPUSupportTests {
  /// /proc/cpuinfo spells some extensions with an underscore.
  static let cpuinfoName = ["avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16"]

  @Test func theBuildMachineLacksNothingTheKernelsUse() throws {
    #expect(CPUSupport.missingFeatures == [])
    #expect(throws: Never.self) { try CPUSupport.check() }
    #if arch(x86_64)
    let compiled = CPUSupport.compiledFeatures
    // -march=native on any CPU this project runs on has AVX2 and FMA at least.
    #expect(compiled.contains("avx2") && compiled.contains("fma"))
    let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    for feature in compiled { #expect(flags.contains(Self.cpuinfoName[feature] ?? feature), "\(feature)") }
    #endif
  }

  @Test func theErrorSaysWhatIsMissingAndWhatToDo() {
    let error = CPUSupportError(missing: ["avx512vnni"], compiled: ["avx2", "avx512f", "avx512vnni"])
    #expect(error.description.contains("lacks avx512vnni"))
    #expect(error.description.contains("Build nightdesk on this machine"))
  }
}
