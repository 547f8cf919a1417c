import Foundation
import NightdeskTestSupport
import Testing

/// The `nightdesk` help, through the built binary: every command is listed, says
/// what it does, and fits an 80-column terminal.
@Suite struct CLIHelpTests {
  /// Every command path, found by following the SUBCOMMANDS sections of the help.
  private static func commandPaths(under path: [String] = []) async throws -> [[String]] {
    let help = try await NightdeskBinary.run(path + ["--help"], environment: ["COLUMNS": "80"]).stdout
    var children: [[String]] = []
    var inSubcommands = false
    for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasSuffix("SUBCOMMANDS:") { inSubcommands = true; continue }
      if line.isEmpty { inSubcommands = false; continue }
      // "  name   abstract": two spaces, then the name; wrapped abstracts are indented further.
      if inSubcommands, line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first {
        children.append(path + [String(name)])
      }
    }
    var paths = [path]
    for child in children { paths += try await commandPaths(under: child) }
    return paths
  }

  @Test func everyCommandsHelpTeachesAndFitsEightyColumns() async throws {
    let paths = try await Self.commandPaths()
    // The night's commands, the model tools and the admin commands are all there.
    for expected in [["submit"], ["worker"], ["status"], ["watch"], ["results"], ["generate"], ["bench"],
                     ["tokenize"], ["redis", "ping"], ["queue", "stats"], ["queue", "bench"]] {
      #expect(paths.contains(expected), "\(expected) is missing from the help")
    }
    for path in paths {
      let result = try await NightdeskBinary.run(path + ["--help"], environment: ["COLUMNS": "80"])
      let name = (["nightdesk"] + path).joined(separator: " ")
      #expect(result.status == 0, "\(name) --help: \(result.stderr)")
      let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
      let overview = lines.first { $0.hasPrefix("OVERVIEW:") }?.dropFirst("OVERVIEW:".count)
      #expect(overview?.trimmingCharacters(in: .whitespaces).isEmpty == false, "\(name) has no abstract")
      #expect(lines.contains { $0.hasPrefix("USAGE: \(name)") }, "\(name): usage does not name the command")
      for line in lines where line.count > 80 {
        Issue.record("\(name) --help: a line of \(line.count) columns: \(line)")
      }
    }
  }

  @Test func runTimeErrorsAreOneLineWithoutUsage() async throws {
    let folder = try TestPaths.temporaryDirectory("cli-errors")
    defer { try? FileManager.default.removeItem(at: folder) }
    let cases: [(arguments: [String], mentions: String)] = [
      (["generate", "--model", folder.path, "--prompt", "hi"], "config.json"),
      (["tokenize", "--model", folder.appendingPathComponent("absent.gguf").path, "--text", "hi"], "absent.gguf"),
      (["submit", "--document", folder.path, "--question", "q", "--redis", "redis://127.0.0.1:1/0"], "is a folder"),
      (["status", "--redis", "redis://127.0.0.1:1/0"], "127.0.0.1:1"),
      // A ValidationError thrown while the command runs (after the model loaded) loses its usage text.
      (["generate", "--model", TestPaths.fixture("qwen3-tiny").path, "--prompt-ids", "1,x"], "--prompt-ids"),
    ]
    for (arguments, mentions) in cases {
      let result = try await NightdeskBinary.run(arguments)
      let lines = result.stderr.split(separator: "\n")
      #expect(result.status == 1, "\(arguments): status \(result.status)")
      #expect(lines.count == 1 && lines.first?.hasPrefix("Error: ") == true, "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains(mentions), "\(arguments): \(result.stderr)")
    }
  }
}
