import ArgumentParser
import Foundation
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport

/// The Redis (`--redis`, `--state-dir`) and the queue in it (`--queue`), shared by
/// every queue command.
struct QueueOptions: ParsableArguments {
  @OptionGroup var redis: RedisOptions

  @Option(name: .customLong("queue"), help: ArgumentHelp(
    "The queue's name: its keys live under nd:{NAME}: (default: $NIGHTDESK_QUEUE, else main).", valueName: "name"))
  var name: String?

  var keys: QueueKeys {
    get throws {
      let chosen = FlagOrEnvironment.text(name, "NIGHTDESK_QUEUE") ?? QueueKeys.defaultNamespace
      do { return try QueueKeys(namespace: chosen) } catch { throw ValidationError("--queue: \(error)") }
    }
  }

  func client(_ purpose: String) throws -> QueueClient {
    let client = QueueClient(redis: try redis.connect(clientName: "nightdesk-\(purpose)"), keys: try keys)
    client.operation = purpose
    return client
  }
}

/// Prints one JSON value on its own line.
func printJSON(_ value: JSONValue) {
  print(JSONWriter.string(value))
}

/// Reads a submission file after checking its size, so a wrong path to a huge file
/// fails fast instead of filling memory.
func readBoundedFile(_ path: String, option: String) throws -> [UInt8] {
  [UInt8](try readFile(path, option: option) { try SubmissionLimits.checkFileSize($0, path: path) })
}

/// "90s", "45m", "8h", "2d" or plain seconds.
func parseDuration(_ text: String, option: String) throws -> Double {
  let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
  var number = Substring(text)
  var scale = 1.0
  if let last = text.last, let unit = units[last] {
    number = text.dropLast()
    scale = unit
  }
  guard let value = Double(number), value.isFinite, value > 0 else {
    throw ValidationError("\(option) '\(text)' is not a duration such as 90s, 45m, 8h or 2d")
  }
  // Ten years at most: beyond that a duration is a typo, and overflows the milliseconds it becomes.
  guard value * scale <= 10 * 365 * 86400 else {
    throw ValidationError("\(option) '\(text)' is longer than ten years")
  }
  return value * scale
}
