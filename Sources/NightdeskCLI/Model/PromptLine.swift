import NightdeskEngine
import NightdeskRequests
import NightdeskSupport

/// One line of a `--prompts-file`: what to complete and how to sample it.
///
/// `{"prompt": "text"}`, `{"messages": [{"role": "user", "content": "..."}]}` or
/// `{"prompt_ids": [1, 2, 3]}`, plus optional OpenAI-style sampling fields
/// (see `SamplingParameters.init(json:at:defaults:)`) and `"id"` (echoed back).
struct PromptLine: Sendable, Equatable {
  enum Input: Sendable, Equatable {
    case text(String)
    case messages([ChatMessage])
    case ids([Int32])
  }

  var input: Input
  var sampling: SamplingParameters
  /// The caller's own id for the line, echoed in the output.
  var id: JSONValue?

  /// Lines longer than this are refused (a runaway file, not a prompt).
  static let maxLineBytes = 16 << 20

  /// Parses line `number` (1-based, for messages) over the command-line `defaults`.
  init(line: String, number: Int, defaults: SamplingParameters) throws(EngineError) {
    func fail(_ message: String) -> EngineError { EngineError(.invalidRequest, "line \(number): \(message)") }
    guard line.utf8.count <= Self.maxLineBytes else {
      throw fail("longer than \(Self.maxLineBytes) bytes")
    }
    let value: JSONValue
    do { value = try JSONParser.parse(line) } catch { throw fail("\(error)") }
    guard let object = value.objectValue else { throw fail("expected a JSON object, found \(value.kindName)") }
    let inputs = ["prompt", "messages", "prompt_ids"].filter { object[$0] != nil }
    guard inputs.count == 1 else {
      throw fail("give exactly one of \"prompt\", \"messages\" or \"prompt_ids\" (found \(inputs.count))")
    }
    switch inputs[0] {
    case "prompt":
      guard let text = object["prompt"]?.stringValue else { throw fail("\"prompt\" must be a string") }
      input = .text(text)
    case "messages":
      do { input = .messages(try ChatMessage.list(fromJSON: object["messages"] ?? .null)) } catch {
        throw fail("\(error)")
      }
    default:
      guard let items = object["prompt_ids"]?.arrayValue else { throw fail("\"prompt_ids\" must be an array of ids") }
      var ids: [Int32] = []
      for (index, item) in items.enumerated() {
        guard let id = item.intValue, let token = Int32(exactly: id) else {
          throw fail("prompt_ids[\(index)] is \(item.kindName), not a token id")
        }
        ids.append(token)
      }
      input = .ids(ids)
    }
    do { sampling = try SamplingParameters(json: object, defaults: defaults) } catch { throw fail(error.description) }
    id = object["id"] ?? object["custom_id"]
  }
}
