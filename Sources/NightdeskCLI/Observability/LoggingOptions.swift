import ArgumentParser
import Foundation
import Logging
import NightdeskObservability
import NightdeskSupport

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `--log-format text|json` and `--log-level`, shared by the long-running commands
/// (`@OptionGroup var logging: LoggingOptions`): every line on standard error through
/// swift-log and the project's `LineLogHandler`.
struct LoggingOptions: ParsableArguments {
  static let formatVariable = "NIGHTDESK_LOG_FORMAT"
  static let levelVariable = "NIGHTDESK_LOG_LEVEL"

  @Option(help: ArgumentHelp(
    "Log lines as text (time, level, key=value metadata, message) or json (one object per line).",
    discussion: "Default: $NIGHTDESK_LOG_FORMAT, else text.", valueName: "text|json"))
  var logFormat: LogFormat?

  @Option(help: ArgumentHelp(
    "The least severe level written: trace, debug, info, notice, warning, error or critical.",
    discussion: "Default: $NIGHTDESK_LOG_LEVEL, else info.", valueName: "level"))
  var logLevel: Logger.Level?

  func validate() throws {
    _ = try resolved(ProcessInfo.processInfo.environment)
  }

  /// The format and level: the flag, else the environment, else text and info.
  func resolved(_ environment: [String: String]) throws -> (LogFormat, Logger.Level) {
    let format = try FlagOrEnvironment.value(logFormat, Self.formatVariable, in: environment, expected: "text or json") {
      LogFormat(rawValue: $0)
    }
    let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
    let level = try FlagOrEnvironment.value(logLevel, Self.levelVariable, in: environment, expected: "one of \(levels)") {
      Logger.Level(rawValue: $0)
    }
    return (format ?? .text, level ?? .info)
  }

  /// Points swift-log at the project's handler (once per process) and returns a logger
  /// named `label`.
  func logger(_ label: String) throws -> Logger {
    let (format, level) = try resolved(ProcessInfo.processInfo.environment)
    LoggingBootstrap.once(format: format, level: level)
    return Logger(label: label)
  }
}

/// swift-log may be bootstrapped once per process.
private enum LoggingBootstrap {
  private static let done = LockedValue(false)

  static func once(format: LogFormat, level: Logger.Level) {
    let first = done.withLock { done in
      defer { done = true }
      return !done
    }
    guard first else { return }
    LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, level: level) }
  }
}
