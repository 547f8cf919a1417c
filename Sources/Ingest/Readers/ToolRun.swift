import Foundation

/// One run of a command-line tool (pdfinfo, pdftotext) under a time limit and an output
/// limit: its standard output, exit status and the start of its standard error.
struct ToolRun {
  var output: [UInt8]
  var status: Int32
  var errorText: String
  var timedOut: Bool
  var outputTruncated: Bool

  /// Runs `tool` (found on PATH) with `arguments` through coreutils' `timeout`, so a
  /// tool stuck on a hostile file is killed after `seconds` (and KILLed 5 s later).
  /// Standard error goes to a temporary file, so a tool that writes much of it can
  /// never block on a full pipe while its output is read.
  static func run(_ tool: String, _ arguments: [String], seconds: Int, maxOutput: Int) throws -> ToolRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["timeout", "--kill-after=5", "\(seconds)", tool] + arguments
    let stdout = Pipe()
    let errorURL = FileManager.default.temporaryDirectory
      .appendingPathComponent("nightdesk-\(tool)-\(UUID().uuidString.prefix(8)).err")
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorURL) }
    let stderr = try FileHandle(forWritingTo: errorURL)
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    try? stderr.close()

    var output: [UInt8] = []
    var truncated = false
    let reader = stdout.fileHandleForReading
    while let data = try reader.read(upToCount: 1 << 16), !data.isEmpty {
      if output.count + data.count > maxOutput {
        truncated = true
        process.terminate()
        break
      }
      output.append(contentsOf: data)
    }
    try? reader.close()
    process.waitUntilExit()
    let errorBytes = (try? FileHandle(forReadingFrom: errorURL).read(upToCount: 4096)) ?? nil
    let errorText = String(decoding: errorBytes ?? Data(), as: UTF8.self)
    let status = process.terminationStatus
    // timeout(1) exits 124 when it had to stop the tool, 137 when it had to KILL it.
    let timedOut = process.terminationReason == .exit && (status == 124 || status == 137)
    return ToolRun(output: output, status: status, errorText: errorText, timedOut: timedOut, outputTruncated: truncated)
  }

  /// The tool's complaint in one line: its last few non-empty stderr lines.
  var complaint: String {
    let lines = errorText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    return lines.suffix(2).joined(separator: "; ")
  }
}
