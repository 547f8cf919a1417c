import Foundation
import Logging
import NightdeskObservability
import NightdeskSupport
import Yams

/// `nightdesk.yaml`: the settings a machine's operator would otherwise repeat as flags or
/// environment variables. Each setting stands in for one environment variable, and
/// applies only where that variable is unset, so the order is flag > environment > file
/// > default for every setting, whichever command reads it:
///
/// ```yaml
/// redis: redis://nd-worker@db.internal:6379/0   # NIGHTDESK_REDIS_URL
/// redis_password_file: /etc/nightdesk/redis.pw  # NIGHTDESK_REDIS_PASSWORD_FILE
/// queue: nightly                                # NIGHTDESK_QUEUE
/// model: /srv/models/Qwen3-0.6B-Q8_0.gguf       # NIGHTDESK_MODEL
/// kv_memory: 2GiB                               # NIGHTDESK_KV_MEMORY
/// threads: 8                                    # NIGHTDESK_THREADS
/// log:
///   format: json                                # NIGHTDESK_LOG_FORMAT
///   level: info                                 # NIGHTDESK_LOG_LEVEL
/// metrics:
///   port: 9464                                  # NIGHTDESK_METRICS_PORT
///   host: 0.0.0.0                               # NIGHTDESK_METRICS_HOST
/// ```
///
/// YAML, read with Yams: job types are YAML already, so operators meet one format and the
/// project one parser. An unknown key or a value of the wrong type is an error naming
/// the file, line and column.
struct ConfigFile {
  /// A setting: its place in the file, its variable, and what its value must be.
  struct Setting {
    enum Kind { case text, integer(ClosedRange<Int>), choice([String]), byteCount }
    var path: String
    var variable: String
    var kind: Kind
  }

  static let settings: [Setting] = [
    Setting(path: "redis", variable: "NIGHTDESK_REDIS_URL", kind: .text),
    Setting(path: "redis_password_file", variable: "NIGHTDESK_REDIS_PASSWORD_FILE", kind: .text),
    Setting(path: "queue", variable: "NIGHTDESK_QUEUE", kind: .text),
    Setting(path: "model", variable: "NIGHTDESK_MODEL", kind: .text),
    Setting(path: "kv_memory", variable: "NIGHTDESK_KV_MEMORY", kind: .byteCount),
    Setting(path: "threads", variable: "NIGHTDESK_THREADS", kind: .integer(1...64)),
    Setting(path: "log.format", variable: LoggingOptions.formatVariable, kind: .choice(LogFormat.allCases.map(\.rawValue))),
    Setting(path: "log.level", variable: LoggingOptions.levelVariable, kind: .choice(Logger.Level.allCases.map(\.rawValue))),
    Setting(path: "metrics.port", variable: MetricsOptions.portVariable, kind: .integer(0...65535)),
    Setting(path: "metrics.host", variable: MetricsOptions.hostVariable, kind: .text),
  ]

  static let pathVariable = "NIGHTDESK_CONFIG"
  static let defaultPath = "nightdesk.yaml"

  /// What went wrong, and where: `file:line:column: reason`.
  struct Failure: Error, CustomStringConvertible {
    var file: String
    var line: Int?
    var column: Int?
    var reason: String

    var description: String {
      var place = file
      if let line { place += ":\(line)" + (column.map { ":\($0)" } ?? "") }
      return "\(place): \(reason)"
    }
  }

  /// The environment variables the file sets, by name.
  let values: [String: String]

  init(text: String, file: String) throws(Failure) {
    let root: Node?
    do { root = try Yams.compose(yaml: text) } catch {
      throw Failure(file: file, line: nil, column: nil, reason: "not valid YAML: \(error)")
    }
    guard let root else {
      values = [:]
      return
    }
    var values: [String: String] = [:]
    try Self.read(root, prefix: "", file: file, into: &values)
    self.values = values
  }

  /// `--config PATH`, else `$NIGHTDESK_CONFIG`, else `nightdesk.yaml` when the current
  /// folder has one; nil when there is no file to read.
  static func load(path flag: String?, environment: [String: String]) throws(Failure) -> ConfigFile? {
    let chosen = flag ?? environment[pathVariable].flatMap { $0.isEmpty ? nil : $0 }
    guard let path = chosen ?? (FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil) else { return nil }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Failure(file: path, line: nil, column: nil,
                    reason: "cannot be read (named by \(flag != nil ? "--config" : chosen != nil ? pathVariable : "default"))")
    }
    return try ConfigFile(text: String(decoding: data, as: UTF8.self), file: path)
  }

  /// Sets every variable the file names that the environment leaves unset (or empty,
  /// which every reader of these variables takes as unset).
  func apply() {
    let environment = ProcessInfo.processInfo.environment
    for (name, value) in values where environment[name]?.isEmpty ?? true {
      setenv(name, value, 1)
    }
  }

  private static func read(_ node: Node, prefix: String, file: String, into values: inout [String: String]) throws(Failure) {
    guard let mapping = node.mapping else {
      throw failure(node, file, "expected \(prefix.isEmpty ? "a mapping of settings" : "the settings of '\(prefix)'")")
    }
    for (key, value) in mapping {
      guard let name = key.scalar?.string else { throw failure(key, file, "a key is not a plain string") }
      let path = prefix.isEmpty ? name : prefix + "." + name
      if value.mapping != nil, settings.contains(where: { $0.path.hasPrefix(path + ".") }) {
        try read(value, prefix: path, file: file, into: &values)
        continue
      }
      guard let setting = settings.first(where: { $0.path == path }) else {
        throw failure(key, file, "unknown setting '\(path)'; known: \(settings.map(\.path).joined(separator: ", "))")
      }
      values[setting.variable] = try check(value, setting, file)
    }
  }

  private static func check(_ node: Node, _ setting: Setting, _ file: String) throws(Failure) -> String {
    guard let scalar = node.scalar else { throw failure(node, file, "\(setting.path) must be a single value") }
    let text = scalar.string
    switch setting.kind {
    case .text:
      guard !text.isEmpty else { throw failure(node, file, "\(setting.path) is empty") }
    case .integer(let range):
      guard let number = Int(text), range.contains(number) else {
        throw failure(node, file, "\(setting.path) must be an integer in \(range.lowerBound)...\(range.upperBound), found '\(text)'")
      }
    case .choice(let allowed):
      guard allowed.contains(text) else {
        throw failure(node, file, "\(setting.path) must be one of \(allowed.joined(separator: ", ")), found '\(text)'")
      }
    case .byteCount:
      do { _ = try ByteCount.parse(text) } catch { throw failure(node, file, "\(setting.path): \(error)") }
    }
    return text
  }

  private static func failure(_ node: Node, _ file: String, _ reason: String) -> Failure {
    Failure(file: file, line: node.mark?.line, column: node.mark?.column, reason: reason)
  }
}

extension ConfigFile {
  /// Commands whose own `--config` names another file (`schedule --config` is its
  /// schedules file, a contract): theirs is left to them, and the settings file comes
  /// from `$NIGHTDESK_CONFIG` or the current folder.
  static let commandsWithOwnConfig: Set<String> = ["schedule"]

  /// Takes `--config PATH` (or `--config=PATH`) out of the arguments, wherever it is.
  static func extractFlag(_ arguments: [String]) -> (arguments: [String], path: String?) {
    if let command = arguments.first, commandsWithOwnConfig.contains(command) { return (arguments, nil) }
    var rest: [String] = []
    var path: String?
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      if argument == "--config", index + 1 < arguments.count {
        path = arguments[index + 1]
        index += 2
        continue
      }
      if argument.hasPrefix("--config=") {
        path = String(argument.dropFirst("--config=".count))
      } else {
        rest.append(argument)
      }
      index += 1
    }
    return (rest, path)
  }
}
