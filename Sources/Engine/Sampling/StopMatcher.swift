/// Finds stop strings in streamed text. It holds back only a suffix that could
/// still grow into a stop string, so text reaches the caller as early as possible
/// and a stop string split across tokens is never half emitted.
///
/// Matching is on UTF-8 bytes: a valid UTF-8 string can only occur in another at
/// character boundaries, so cuts never split a character.
struct StopMatcher: Sendable {
  private let stops: [[UInt8]]
  /// Bytes received but not yet released.
  private var held: [UInt8] = []

  init(stopStrings: [String]) {
    stops = stopStrings.map { Array($0.utf8) }.filter { !$0.isEmpty }
  }

  enum Outcome: Equatable, Sendable {
    /// Text safe to release.
    case text(String)
    /// A stop string was found: the text before it, and which one.
    case stopped(before: String, stop: String)
  }

  mutating func append(_ text: String) -> Outcome {
    if stops.isEmpty { return .text(text) }
    held.append(contentsOf: text.utf8)
    if let (offset, stop) = firstStop() {
      let before = String(decoding: held[..<offset], as: UTF8.self)
      held.removeAll()
      return .stopped(before: before, stop: String(decoding: stop, as: UTF8.self))
    }
    let keep = longestPartialStop()
    let release = String(decoding: held[..<(held.count - keep)], as: UTF8.self)
    held.removeFirst(held.count - keep)
    return .text(release)
  }

  /// Releases what is held (generation ended without a stop string).
  mutating func finish() -> String {
    defer { held.removeAll() }
    return String(decoding: held, as: UTF8.self)
  }

  /// The earliest complete stop string in the held bytes.
  private func firstStop() -> (Int, [UInt8])? {
    var best: (Int, [UInt8])?
    for stop in stops where stop.count <= held.count {
      var start = 0
      while start + stop.count <= held.count, start < (best?.0 ?? Int.max) {
        if held[start] == stop[0], held[start..<(start + stop.count)].elementsEqual(stop) {
          best = (start, stop)
          break
        }
        start += 1
      }
    }
    return best
  }

  /// Length of the longest held suffix that is a proper prefix of a stop string.
  private func longestPartialStop() -> Int {
    var longest = 0
    for stop in stops {
      var length = min(stop.count - 1, held.count)
      while length > longest {
        if held[(held.count - length)...].elementsEqual(stop[..<length]) {
          longest = length
          break
        }
        length -= 1
      }
    }
    return longest
  }
}
