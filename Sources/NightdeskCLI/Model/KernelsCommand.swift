import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskSupport

/// `nightdesk kernels`: the kernel levels this CPU runs, and the one this process would use.
struct KernelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernels", abstract: "Show which kernel levels (generic, avx2, avx512) this CPU runs and which is used.",
    usage: "nightdesk kernels [--supported] [--json]",
    discussion: """
      Every nightdesk binary holds every level; the kernels pick the best this CPU has when \
      a model loads. NIGHTDESK_KERNELS=generic|avx2|avx512 forces a level at or below that \
      (a level the CPU lacks is refused, naming the missing extensions). All levels compute \
      the same bits, so a job retried on another machine of a mixed fleet gives the same text.

      Examples:
        nightdesk kernels
        NIGHTDESK_KERNELS=avx2 nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf --json
        for level in $(nightdesk kernels --supported); do NIGHTDESK_KERNELS=$level nightdesk bench ...; done
      """)

  @Flag(help: "Print only the names of the levels this CPU runs, one per line, lowest first.")
  var supported = false

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  func run() throws {
    try KernelLevel.checkEnvironment(ProcessInfo.processInfo.environment)
    if supported {
      for level in KernelLevel.supported { print(level.name) }
      return
    }
    let active = KernelLevel.active
    if json {
      let levels = KernelLevel.allCases.map { level -> JSONValue in
        var object = JSONObject(["name": .string(level.name), "supported": .bool(level.isSupported)])
        object["missing"] = .array(level.missingExtensions.map { .string($0) })
        if level.isSupported { object["int8_kernel"] = .string(level.int8Kernel) }
        return .object(object)
      }
      print(JSONWriter.string(.object(JSONObject([
        "cpu": .string(KernelLevel.cpuName), "kernels": .string(active.name), "levels": .array(levels),
      ]))))
      return
    }
    print("CPU: \(KernelLevel.cpuName)")
    for level in KernelLevel.allCases {
      let state = level.isSupported
        ? "runs here (8-bit activations: \(level.int8Kernel))"
        : "not on this CPU (lacks \(level.missingExtensions.joined(separator: ", ")))"
      print("  \(level == active ? "*" : " ") \(level.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(state)")
    }
    print("* the level used: " + (ProcessInfo.processInfo.environment[KernelLevel.environmentVariable].map {
      "\(KernelLevel.environmentVariable)=\($0)" } ?? "the best this CPU has"))
  }
}
