import NightdeskRequests
import NightdeskSupport

/// A batch manifest: one JSON object listing jobs in Nightdesk's own format,
///
///     {"desk": "credit", "priority": "normal", "max_attempts": 3,
///      "jobs": [{"requests": [{"custom_id": "q1", "messages": [...], "sampling": {...}}]}, ...]}
///
/// The top-level fields are defaults for the jobs. Each job is validated on its
/// own; a bad one is rejected with its entry number (1-based).
public enum BatchManifest {
  /// `check` as in `OpenAIBatchInput.parse`: its error rejects the request's job.
  public static func parse(
    _ bytes: [UInt8], defaults: JobDefaults = JobDefaults(), check: (ChatRequest) throws -> Void = { _ in }
  ) throws(QueueError) -> SubmissionInput {
    let json: JSONValue
    do { json = try JSONParser.parse(bytes) } catch { throw QueueError(.invalidArgument, "the manifest is not valid JSON: \(error)") }
    guard let object = json.objectValue, let entries = object["jobs"]?.arrayValue else {
      throw QueueError(.invalidArgument, "the manifest must be an object with a \"jobs\" list")
    }
    var defaults = defaults
    if let desk = object["desk"]?.stringValue { defaults.desk = desk }
    if let text = object["priority"]?.stringValue {
      guard let priority = Priority(rawValue: text) else {
        throw QueueError(.invalidArgument, "the manifest's priority is '\(text)'; expected high, normal or low")
      }
      defaults.priority = priority
    }
    if let attempts = object["max_attempts"]?.intValue { defaults.maxAttempts = attempts }
    guard entries.count <= SubmissionLimits.maxLines else {
      throw QueueError(.invalidArgument, "the manifest lists \(entries.count) jobs; at most \(SubmissionLimits.maxLines) per batch")
    }
    var input = SubmissionInput()
    var seen = Set<String>()
    for (index, entry) in entries.enumerated() {
      do throws(RequestError) {
        let spec = try JobSpec(json: entry, at: "jobs[\(index)]", defaults: defaults)
        for (number, request) in spec.requests.enumerated() {
          do { try check(request) } catch let refusal as RequestError {
            throw RequestError("jobs[\(index)].requests[\(number)].\(refusal.path)", refusal.problem)
          } catch {
            throw RequestError("jobs[\(index)].requests[\(number)].response_format", "\(error)")
          }
          if let id = request.customID, !seen.insert(id).inserted {
            throw RequestError("jobs[\(index)]", "repeats custom_id '\(id)'; custom_ids must be unique in a batch")
          }
        }
        input.jobs.append(spec)
      } catch {
        input.rejected.append(.init(line: index + 1, error: error.description))
      }
    }
    return input
  }
}
