import NightdeskSupport

/// A model some worker of the queue serves, as it registered it when it started: what
/// `submit` needs to refuse, before the night, a request too long for the model's
/// context. Kept (the `models` hash, by model digest) after the worker stops, so a
/// submission made while no worker runs is still checked.
public struct ModelRegistration: Sendable, Equatable {
  /// The model file's digest (a result's `model_digest`).
  public var digest: String
  public var name: String
  /// Tokens of context a request has: its prompt and its `max_tokens` together.
  public var contextLength: Int
  /// Names the tokenizer (vocabulary, pre-tokenizer, chat template): a submitter that
  /// loads the model from `path` counts the same tokens only if it finds the same digest.
  public var tokenizerDigest: String
  /// Where the worker loaded it from; a submitter with the same file there counts with it.
  public var path: String
  public var worker: String
  /// Server time of the registration, in milliseconds.
  public var registeredAt: Int64

  public init(digest: String, name: String, contextLength: Int, tokenizerDigest: String, path: String, worker: String,
              registeredAt: Int64 = 0) {
    self.digest = digest
    self.name = name
    self.contextLength = contextLength
    self.tokenizerDigest = tokenizerDigest
    self.path = path
    self.worker = worker
    self.registeredAt = registeredAt
  }

  var json: JSONValue {
    .object(JSONObject([
      "digest": .string(digest), "name": .string(name), "context_length": .int(Int64(contextLength)),
      "tokenizer_digest": .string(tokenizerDigest), "path": .string(path), "worker": .string(worker),
      "registered_at": .int(registeredAt),
    ]))
  }

  /// Nil for an entry that is not a registration (written by something else).
  init?(json: JSONValue) {
    guard let digest = json["digest"]?.stringValue, let name = json["name"]?.stringValue,
      let context = json["context_length"]?.intValue, context > 0,
      let tokenizer = json["tokenizer_digest"]?.stringValue, let path = json["path"]?.stringValue
    else { return nil }
    self.init(digest: digest, name: name, contextLength: Int(context), tokenizerDigest: tokenizer, path: path,
              worker: json["worker"]?.stringValue ?? "", registeredAt: Int64(json["registered_at"]?.intValue ?? 0))
  }
}
