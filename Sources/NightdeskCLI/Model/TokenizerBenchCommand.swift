import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskSupport
import NightdeskTokenizer

/// `nightdesk tokenizer-bench`: how fast a model's tokenizer loads, encodes and
/// decodes on one core. Speed targets live here, not in timed unit tests.
struct TokenizerBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenizer-bench",
    abstract: "Measure a tokenizer's load time and encode/decode speed on one core.",
    usage: "nightdesk tokenizer-bench --model <path> [--file <file>] [<options>]",
    discussion: """
      Encodes the text of --file (default: built-in English prose, about 4 MB) --runs \
      times on one core and reports the best run: load time, encode and decode MB/s \
      (wall clock and CPU time), and whether decoding gives the text back.

      Example:
        nightdesk tokenizer-bench --model Tests/Fixtures/tokenizer-qwen
        nightdesk tokenizer-bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --file report.txt --json
      """)

  @Option(help: ArgumentHelp("A Hugging Face model folder (tokenizer files suffice) or a .gguf file.", valueName: "path"))
  var model: String

  @Option(help: ArgumentHelp("A UTF-8 text file to encode (default: built-in English prose).", valueName: "file"))
  var file: String?

  @Option(help: ArgumentHelp("How many times to encode the text; the best run is reported.", valueName: "n"))
  var runs = 5

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  func run() throws {
    let loadStart = Stopwatch()
    let spec = try ModelPackage.open(model).tokenizerSpec()
    let parseTime = loadStart.elapsed
    let buildStart = Stopwatch()
    let tokenizer = try Tokenizer(spec: spec)
    let buildTime = buildStart.elapsed

    let text: String
    if let file {
      guard let contents = String(validating: try readFile(file, option: "--file"), as: UTF8.self) else {
        throw CommandFailure("--file \(file): not valid UTF-8 text")
      }
      text = contents
    } else {
      text = BenchmarkText.english(bytes: 4 << 20)
    }
    let megabytes = Double(text.utf8.count) / 1_000_000

    var ids: [Int32] = []
    let encode = Stopwatch.best(of: runs) { ids = tokenizer.encode(text) }  // trusted text, the default
    var decoded = ""
    let decode = Stopwatch.best(of: runs) { decoded = tokenizer.decode(ids) }
    let roundTrips = decoded == (tokenizer.normalizesNFC ? text.precomposedStringWithCanonicalMapping : text)

    // Wall-clock rates suffer when other processes share the cores; CPU-time rates do not.
    var report = JSONObject()
    report["model"] = .string(model)
    report["text_megabytes"] = .double(megabytes)
    report["tokens"] = .int(Int64(ids.count))
    report["load_parse_seconds"] = .double(parseTime.wall)
    report["load_build_seconds"] = .double(buildTime.wall)
    report["load_cpu_seconds"] = .double(parseTime.cpu + buildTime.cpu)
    report["encode_megabytes_per_second"] = .double(megabytes / encode.wall)
    report["encode_megabytes_per_cpu_second"] = .double(megabytes / encode.cpu)
    report["encode_tokens_per_second"] = .double(Double(ids.count) / encode.wall)
    report["decode_megabytes_per_second"] = .double(megabytes / decode.wall)
    report["round_trips"] = .bool(roundTrips)
    if json {
      print(JSONWriter.string(.object(report)))
    } else {
      for (key, value) in report.pairs {
        let shown: String
        switch value {
        case .double(let number): shown = String(format: number < 10 ? "%.3f" : "%.1f", number)
        case .string(let text): shown = text
        default: shown = JSONWriter.string(value)
        }
        print("\(key.replacingOccurrences(of: "_", with: " ")): \(shown)")
      }
    }
  }
}

/// Wall-clock and this thread's CPU time since it was made.
struct Stopwatch {
  private let wallStart = ContinuousClock.now
  private let cpuStart = Stopwatch.threadCPUSeconds()

  var elapsed: (wall: Double, cpu: Double) {
    let wall = ContinuousClock.now - wallStart
    return (Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18,
            Stopwatch.threadCPUSeconds() - cpuStart)
  }

  /// The fastest of `runs` runs, by wall and by CPU time separately.
  static func best(of runs: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
    var best = (wall: Double.infinity, cpu: Double.infinity)
    for _ in 0..<max(1, runs) {
      let watch = Stopwatch()
      body()
      let time = watch.elapsed
      best = (min(best.wall, time.wall), min(best.cpu, time.cpu))
    }
    return best
  }

  static func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
  }
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
