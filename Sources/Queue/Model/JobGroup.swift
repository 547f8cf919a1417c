import NightdeskRequests
import NightdeskSupport

/// A document's map-reduce group (`submit --type`): its chunk jobs, and the synthesis
/// job that is held until they have all finished (succeeded or failed for good), then
/// queued once by the script that finishes the last of them.
public struct JobGroup: Sendable, Equatable {
  public enum Role: String, Sendable {
    /// A map step: one chunk of the document, asked the job type's questions.
    case chunk
    /// The reduce step over the chunk jobs' answers.
    case synthesis
  }

  /// Unique in the queue (`submit` makes it from the batch and the document).
  public var id: String
  public var role: Role

  public init(id: String, role: Role) {
    self.id = id
    self.role = role
  }

  public static let maxIDBytes = 200

  var json: JSONValue { .object(JSONObject(["id": .string(id), "role": .string(role.rawValue)])) }

  init(json: JSONValue, at path: String) throws(RequestError) {
    guard let object = json.objectValue else { throw RequestError(path, "must be an object, found \(json.kindName)") }
    guard let id = object["id"]?.stringValue, !id.isEmpty, id.utf8.count <= Self.maxIDBytes,
      id.allSatisfy({ $0.isASCII && !$0.isWhitespace })
    else {
      throw RequestError("\(path).id", "must be 1...\(Self.maxIDBytes) ASCII characters without spaces")
    }
    guard let roleText = object["role"]?.stringValue, let role = Role(rawValue: roleText) else {
      throw RequestError("\(path).role", "must be 'chunk' or 'synthesis'")
    }
    self.id = id
    self.role = role
  }
}
