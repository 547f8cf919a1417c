import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskTokenizer

/// `nightdesk tokenizer-bench`: how fast a model's tokenizer loads, encodes and
/// decodes on one core. Speed targets live here, not in timed unit tests.
struct TokenizerBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenizer-bench",
    abstract: "Measure tokenizer load time and encode/decode throughput on one core.",
    discussion: """
      Encodes the text of --file (default: built-in English prose, ~4 MB) several times and
      reports the best run. The target is at least 5 MB/s of English text.

      Example:
        nightdesk tokenizer-bench --model Tests/Fixtures/tokenizer-qwen --file report.txt
      """)

  @Option(help: "A Hugging Face model folder (tokenizer files suffice) or a .gguf file.")
  var model: String

  @Option(help: "A UTF-8 text file to encode (default: built-in English prose).")
  var file: String?

  @Option(help: "How many times to encode the text; the best run is reported.")
  var runs = 5

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  func run() throws {
    let clock = ContinuousClock()
    let loadStart = clock.now
    let spec = try TokenizerSpec(modelAt: URL(fileURLWithPath: model))
    let parsed = clock.now
    let tokenizer = try Tokenizer(spec: spec)
    let built = clock.now

    let text: String
    if let file {
      guard let contents = try String(validating: Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self) else {
        throw ValidationError("\(file) is not valid UTF-8 text")
      }
      text = contents
    } else {
      text = BenchmarkText.english(bytes: 4 << 20)
    }
    let megabytes = Double(text.utf8.count) / 1_000_000

    var ids: [Int32] = []
    var bestEncode = Duration.seconds(1_000_000)
    for _ in 0..<max(1, runs) {
      let start = clock.now
      ids = tokenizer.encode(text)  // trusted, the default: added tokens are looked for too
      bestEncode = min(bestEncode, clock.now - start)
    }
    var bestDecode = Duration.seconds(1_000_000)
    var decoded = ""
    for _ in 0..<max(1, runs) {
      let start = clock.now
      decoded = tokenizer.decode(ids)
      bestDecode = min(bestDecode, clock.now - start)
    }
    let roundTrips = decoded == (tokenizer.normalizesNFC ? text.precomposedStringWithCanonicalMapping : text)

    let report: [(String, String)] = [
      ("model", model),
      ("text_megabytes", format(megabytes, 3)),
      ("tokens", String(ids.count)),
      ("load_parse_seconds", format(seconds(parsed - loadStart), 3)),
      ("load_build_seconds", format(seconds(built - parsed), 3)),
      ("encode_megabytes_per_second", format(megabytes / seconds(bestEncode), 1)),
      ("encode_tokens_per_second", format(Double(ids.count) / seconds(bestEncode), 0)),
      ("decode_megabytes_per_second", format(megabytes / seconds(bestDecode), 1)),
      ("round_trips", String(roundTrips)),
    ]
    if json {
      let fields = report.map { key, value in
        let quoted = key == "model" ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
        return "\"\(key)\": \(quoted)"
      }
      print("{" + fields.joined(separator: ", ") + "}")
    } else {
      for (key, value) in report { print("\(key.replacingOccurrences(of: "_", with: " ")): \(value)") }
    }
  }

  private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
  }

  private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}

/// Deterministic English prose for the benchmark: sentences assembled from a
/// small grammar with numbers and punctuation, so it is not one paragraph repeated.
enum BenchmarkText {
  static func english(bytes: Int) -> String {
    let subjects = [
      "The company", "Our analyst team", "The board of directors", "Revenue in the third quarter", "The new factory",
      "Customer demand", "The research desk", "Operating margin", "The annual report", "Management",
    ]
    let verbs = [
      "increased", "reported", "expects", "reviewed", "announced", "could not explain", "carefully described",
      "doesn't anticipate", "has summarised", "will publish",
    ]
    let objects = [
      "a significant rise in net income", "the impact of higher interest rates", "strong growth across all regions",
      "weaker sales of consumer electronics", "a dividend of $1.25 per share", "the risks described in section 4",
      "its long-term strategy for renewable energy", "the results of the independent audit",
      "several acquisitions in Europe and Asia", "lower costs after restructuring",
    ]
    let endings = [".", ", according to the filing.", " (see note 12).", "; analysts were surprised.", "!", "?"]
    var generator: UInt64 = 0x2545_F491_4F6C_DD1D
    func pick(_ count: Int) -> Int {
      generator ^= generator << 13
      generator ^= generator >> 7
      generator ^= generator << 17
      return Int(generator % UInt64(count))
    }
    var text = ""
    text.reserveCapacity(bytes + 200)
    var sentence = 0
    while text.utf8.count < bytes {
      text += subjects[pick(subjects.count)] + " " + verbs[pick(verbs.count)] + " " + objects[pick(objects.count)]
      text += " in \(2000 + pick(25)), up \(pick(40)).\(pick(10))% year over year" + endings[pick(endings.count)]
      sentence += 1
      text += sentence % 6 == 0 ? "\n\n" : " "
    }
    return text
  }
}
