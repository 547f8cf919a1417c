import NightdeskRequests
import NightdeskSupport

/// What a desk asks for: one or more chat requests that share a prefix (a system
/// prompt and a document, asked several questions), run together so the worker's
/// engine computes that prefix once.
///
/// `kind` is `chat`, or `synthesis`: a document's reduce step (`submit --type`), whose
/// request the worker rebuilds from its group's chunk results when it claims it.
/// `document` (what the job was made from: file, title, job type, chunk locations) and
/// `group` are set by `submit --type` only; other jobs' JSON is as before.
public struct JobSpec: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case chat
    case synthesis
  }

  public var kind: Kind
  public var requests: [ChatRequest]
  public var priority: Priority
  /// The submitting desk ("macro", "credit", ...), for listing and accounting.
  public var desk: String
  /// Submitting the same key again returns the first job instead of a new one.
  public var idempotencyKey: String?
  /// Unix time in seconds after which the job is not started (it fails instead).
  public var deadline: Double?
  public var maxAttempts: Int
  /// Where the job's text came from, for reports to cite: `source`, `title`, `job_type`,
  /// `chunk` (`index`, `count`, `pages`, `sections`); kept as given.
  public var document: JSONValue?
  /// The document's map-reduce group, when the job is one of its steps.
  public var group: JobGroup?
  /// The worker publishes the answer's text as it is generated (`live:<job>`, see
  /// `LiveDelta`), for `serve`'s streamed chat completions. Only such jobs pay for it.
  public var stream = false

  public init(
    requests: [ChatRequest], priority: Priority = .normal, desk: String = "default", idempotencyKey: String? = nil,
    deadline: Double? = nil, maxAttempts: Int = 3
  ) {
    self.kind = .chat
    self.requests = requests
    self.priority = priority
    self.desk = desk
    self.idempotencyKey = idempotencyKey
    self.deadline = deadline
    self.maxAttempts = maxAttempts
  }

  public static let maxRequests = 256
  public static let maxAttemptsLimit = 100
  public static let maxDeskBytes = 64
  public static let maxKeyBytes = 256
  /// The whole job as JSON; bounds what one job may hold in Redis and in a worker.
  public static let maxEncodedBytes = 8 << 20

  /// The hash of the messages all requests share (see `PrefixHash`).
  public var prefixHash: String { PrefixHash.of(PrefixHash.sharedPrefix(of: requests)) }

  /// The requests, as stored in the job hash's `spec` field. Priority, desk and the
  /// other envelope fields live in their own hash fields so scripts can read them.
  public var json: JSONValue {
    var object = JSONObject()
    object["kind"] = .string(kind.rawValue)
    object["requests"] = .array(requests.map(\.json))
    object["priority"] = .string(priority.rawValue)
    object["desk"] = .string(desk)
    if let idempotencyKey { object["idempotency_key"] = .string(idempotencyKey) }
    if let deadline { object["deadline"] = .double(deadline) }
    object["max_attempts"] = .int(Int64(maxAttempts))
    if let document { object["document"] = document }
    if let group { object["group"] = group.json }
    if stream { object["stream"] = .bool(true) }
    return .object(object)
  }

  /// Reads and validates a job description (a manifest entry, `submit --job`, or
  /// the stored spec). Every error names the field.
  public init(json: JSONValue, at path: String = "job", defaults: JobDefaults = JobDefaults()) throws(RequestError) {
    guard let object = json.objectValue else { throw RequestError(path, "must be an object, found \(json.kindName)") }
    if let kindText = object["kind"]?.stringValue {
      guard let kind = Kind(rawValue: kindText) else {
        throw RequestError("\(path).kind", "is '\(kindText)'; expected 'chat' or 'synthesis'")
      }
      self.kind = kind
    } else {
      kind = .chat
    }
    guard let items = object["requests"]?.arrayValue else { throw RequestError("\(path).requests", "is missing or not a list") }
    var requests: [ChatRequest] = []
    for (index, item) in items.enumerated() {
      requests.append(try ChatRequest(json: item, at: "\(path).requests[\(index)]"))
    }
    self.requests = requests
    func text(_ key: String) throws(RequestError) -> String? {
      guard let value = object[key], !value.isNull else { return nil }
      guard let text = value.stringValue else { throw RequestError("\(path).\(key)", "must be a string, found \(value.kindName)") }
      return text
    }
    if let priorityText = try text("priority") {
      guard let priority = Priority(rawValue: priorityText) else {
        throw RequestError("\(path).priority", "is '\(priorityText)'; expected high, normal or low")
      }
      self.priority = priority
    } else {
      priority = defaults.priority
    }
    desk = try text("desk") ?? defaults.desk
    idempotencyKey = try text("idempotency_key")
    if let value = object["deadline"], !value.isNull {
      guard let seconds = value.doubleValue else { throw RequestError("\(path).deadline", "must be a Unix time in seconds") }
      deadline = seconds
    } else {
      deadline = defaults.deadline
    }
    if let value = object["max_attempts"], !value.isNull {
      guard let attempts = value.intValue else { throw RequestError("\(path).max_attempts", "must be an integer") }
      maxAttempts = attempts
    } else {
      maxAttempts = defaults.maxAttempts
    }
    if let value = object["document"], !value.isNull {
      guard value.objectValue != nil else { throw RequestError("\(path).document", "must be an object, found \(value.kindName)") }
      document = value
    }
    if let value = object["group"], !value.isNull {
      group = try JobGroup(json: value, at: "\(path).group")
    }
    if let value = object["stream"], !value.isNull {
      guard let flag = value.boolValue else { throw RequestError("\(path).stream", "must be true or false") }
      stream = flag
    }
    try validate(at: path)
  }

  /// Checks the envelope's bounds (the requests validate themselves as they are read).
  public func validate(at path: String = "job") throws(RequestError) {
    guard !requests.isEmpty else { throw RequestError("\(path).requests", "is empty; a job needs at least one request") }
    if stream, requests.count != 1 {
      throw RequestError("\(path).stream", "a streamed job has exactly one request; this one has \(requests.count)")
    }
    if kind == .synthesis, group?.role != .synthesis {
      throw RequestError("\(path).group", "a synthesis job needs a group with role 'synthesis'")
    }
    guard requests.count <= Self.maxRequests else {
      throw RequestError("\(path).requests", "has \(requests.count) requests; at most \(Self.maxRequests) per job")
    }
    guard (1...Self.maxAttemptsLimit).contains(maxAttempts) else {
      throw RequestError("\(path).max_attempts", "is \(maxAttempts); it must be in 1...\(Self.maxAttemptsLimit)")
    }
    guard !desk.isEmpty, desk.utf8.count <= Self.maxDeskBytes, desk.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) })
    else {
      throw RequestError("\(path).desk", "is '\(desk)'; use 1...\(Self.maxDeskBytes) letters, digits, '-', '_' or '.'")
    }
    if let key = idempotencyKey, key.isEmpty || key.utf8.count > Self.maxKeyBytes {
      throw RequestError("\(path).idempotency_key", "must be 1...\(Self.maxKeyBytes) bytes")
    }
    // Up to the year 9999: beyond that a deadline is a mistake (and overflows milliseconds).
    if let deadline, !deadline.isFinite || deadline <= 0 || deadline > Self.latestDeadline {
      throw RequestError("\(path).deadline", "must be a Unix time in seconds, after 1970 and before the year 10000")
    }
    for (index, request) in requests.enumerated() {
      try request.validate(at: "\(path).requests[\(index)].sampling")
    }
  }

  /// 9999-12-31 as a Unix time in seconds.
  public static let latestDeadline: Double = 253_402_300_799
}

/// Envelope values a submission applies to jobs that do not set their own.
public struct JobDefaults: Sendable, Equatable {
  public var priority: Priority
  public var desk: String
  public var maxAttempts: Int
  public var deadline: Double?

  public init(priority: Priority = .normal, desk: String = "default", maxAttempts: Int = 3, deadline: Double? = nil) {
    self.priority = priority
    self.desk = desk
    self.maxAttempts = maxAttempts
    self.deadline = deadline
  }
}
