import ArgumentParser
import Foundation

/// A setting's value: its flag's, else its environment variable's (set by the user or by
/// `nightdesk.yaml`, see `ConfigFile`; unset and empty are the same), else none, so the
/// caller's default applies. A variable that does not parse is refused with its name.
enum FlagOrEnvironment {
  static func text(
    _ flag: String?, _ variable: String, in environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String? {
    flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
  }

  /// `expected` completes "VAR='x' is not ..." (e.g. "text or json").
  static func value<Value>(
    _ flag: Value?, _ variable: String, in environment: [String: String] = ProcessInfo.processInfo.environment,
    expected: String, _ parse: (String) -> Value?
  ) throws -> Value? {
    if let flag { return flag }
    guard let text = text(nil, variable, in: environment) else { return nil }
    guard let value = parse(text) else { throw ValidationError("\(variable)='\(text)' is not \(expected)") }
    return value
  }
}
