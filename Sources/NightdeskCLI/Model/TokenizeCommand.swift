import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskSupport
import NightdeskTokenizer

/// `nightdesk tokenize`: text in, token ids out, exactly as the model sees them.
/// Other tools rely on the output format: one JSON array, or one `{"ids": [...]}`
/// line per `{"text": ...}` input line with --jsonl.
struct TokenizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Print the token ids of text, with a model's tokenizer.",
    usage: "nightdesk tokenize --model <path> [--text <text> | --jsonl] [<options>]",
    discussion: """
      Reads the text from --text or, without it, all of stdin (a trailing newline is part \
      of the text), and prints a JSON array of ids. With --jsonl, reads lines \
      {"text": "..."} from stdin and writes lines {"ids": [...]} in the same order.

      --model may be a folder with only the tokenizer files (tokenizer.json, \
      tokenizer_config.json). Special-token strings such as <|im_start|> become control \
      tokens unless --no-special is given.

      Examples:
        nightdesk tokenize --model models/Qwen3-0.6B --text 'Hello, world'
        nightdesk tokenize --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            < report.txt
        nightdesk tokenize --model models/Qwen3-0.6B --jsonl < in.jsonl > ids.jsonl
      """)

  @Option(help: ArgumentHelp("A Hugging Face model folder (tokenizer files suffice) or a .gguf file.", valueName: "path"))
  var model: String

  @Option(help: "The text to tokenize (default: read stdin).")
  var text: String?

  @Flag(help: "Read JSON lines {\"text\": ...} from stdin, write {\"ids\": [...]} lines.")
  var jsonl = false

  @Flag(name: .customLong("no-special"), help: "Treat special-token strings such as <|im_start|> as plain text.")
  var noSpecial = false

  func validate() throws {
    if jsonl, text != nil { throw ValidationError("--jsonl reads stdin; it cannot be combined with --text") }
  }

  func run() throws {
    let tokenizer = try Tokenizer(spec: ModelPackage.open(model).tokenizerSpec())
    if jsonl {
      try tokenizeLines(tokenizer)
      return
    }
    let input: String
    if let text {
      input = text
    } else {
      let data = try FileHandle.standardInput.readToEnd() ?? Data()
      guard let decoded = String(validating: data, as: UTF8.self) else {
        throw CommandFailure("stdin is not valid UTF-8 text")
      }
      input = decoded
    }
    let ids = tokenizer.encode(input, allowSpecial: !noSpecial)
    print(JSONWriter.string(.array(ids.map { .int(Int64($0)) })))
  }

  private func tokenizeLines(_ tokenizer: Tokenizer) throws {
    let output = BufferedStandardOutput()
    // The lines before a bad one are still written, so a caller can see how far it got.
    defer { output.flush() }
    var lineNumber = 0
    for line in LineReader(FileHandle.standardInput) {
      lineNumber += 1
      let text: String
      do {
        guard let value = try JSONParser.parse(line)["text"]?.stringValue else {
          throw CommandFailure(
            "stdin line \(lineNumber): expected an object {\"text\": \"...\"} with a string \"text\"")
        }
        text = value
      } catch let error as JSONParseError {
        throw CommandFailure("stdin line \(lineNumber): \(error.description)")
      }
      let ids = tokenizer.encode(text, allowSpecial: !noSpecial)
      output.write(JSONWriter.string(["ids": .array(ids.map { .int(Int64($0)) })]) + "\n")
    }
  }
}

/// Lines of a file handle as raw bytes (without the newline), read in chunks so
/// that a multi-gigabyte JSONL file is never held in memory at once.
struct LineReader: Sequence, IteratorProtocol {
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var start = 0
  private var atEnd = false

  init(_ handle: FileHandle) { self.handle = handle }

  mutating func next() -> [UInt8]? {
    while true {
      if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = Array(buffer[start..<newline])
        start = newline + 1
        return line
      }
      if atEnd {
        guard start < buffer.count else { return nil }
        let line = Array(buffer[start...])
        start = buffer.count
        return line
      }
      buffer.removeFirst(start)
      start = 0
      let chunk = handle.readData(ofLength: 1 << 20)
      if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
    }
  }
}

/// Collects output and writes it in large blocks: one write per line is slow.
final class BufferedStandardOutput {
  private var pending = ""

  func write(_ text: String) {
    pending += text
    if pending.utf8.count >= 1 << 16 { flush() }
  }

  func flush() {
    FileHandle.standardOutput.write(Data(pending.utf8))
    pending = ""
  }
}
