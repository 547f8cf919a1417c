import Foundation
import NightdeskRedis
import NightdeskSupport

/// A file of the Files API, as `GET /v1/files/{id}` shows it. Its content stays in
/// Redis (`api:file:<id>`), read only by `/content`.
struct StoredFile: Sendable {
  var id: String
  var desk: String
  var filename: String
  var purpose: String
  var bytes: Int
  var createdAt: Int64

  static let fields = ["desk", "filename", "purpose", "bytes", "created_at"]

  init(id: String, desk: String, filename: String, purpose: String, bytes: Int, createdAt: Int64) {
    self.id = id
    self.desk = desk
    self.filename = filename
    self.purpose = purpose
    self.bytes = bytes
    self.createdAt = createdAt
  }

  init?(id: String, values: [RedisReply]) {
    guard values.count == Self.fields.count, let desk = values[0].string else { return nil }
    self.init(id: id, desk: desk, filename: values[1].string ?? "", purpose: values[2].string ?? "",
              bytes: Int(values[3].int ?? 0), createdAt: values[4].int ?? 0)
  }

  var json: JSONValue {
    [
      "id": .string(id), "object": "file", "bytes": .int(Int64(bytes)), "created_at": .int(createdAt),
      "filename": .string(filename), "purpose": .string(purpose), "status": "processed", "status_details": nil,
    ]
  }

  static func newID() -> String {
    "file-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
  }
}

/// The Files API's reads and writes on one Redis connection. A file of another desk
/// is answered as missing.
struct FileStore {
  let redis: RedisConnection
  let keys: APIRedisKeys
  let retentionSeconds: Int

  func create(content: [UInt8], filename: String, purpose: String, desk: String, now: Int64) throws -> StoredFile {
    let file = StoredFile(id: StoredFile.newID(), desk: desk, filename: filename, purpose: purpose,
                          bytes: content.count, createdAt: now)
    _ = try redis.pipeline([
      RedisCommand("HSET", keys.file(file.id), "desk", desk, "filename", filename, "purpose", purpose,
                   "bytes", content.count, "created_at", now, "content", content),
      RedisCommand("EXPIRE", keys.file(file.id), retentionSeconds),
      RedisCommand("ZADD", keys.files(desk: desk), now, file.id),
    ])
    return file
  }

  func get(_ id: String, desk: String) throws -> StoredFile? {
    guard Self.isPlausibleID(id) else { return nil }
    let reply = try redis.command(RedisCommand(["HMGET", keys.file(id)] + StoredFile.fields))
    guard let file = StoredFile(id: id, values: reply.array ?? []), file.desk == desk else { return nil }
    return file
  }

  func content(_ id: String, desk: String) throws -> [UInt8]? {
    guard Self.isPlausibleID(id) else { return nil }
    let reply = try redis.command("HMGET", keys.file(id), "desk", "content")
    guard let values = reply.array, values.count == 2, values[0].string == desk else { return nil }
    return values[1].bytes
  }

  func delete(_ id: String, desk: String) throws -> Bool {
    guard try get(id, desk: desk) != nil else { return false }
    _ = try redis.pipeline([RedisCommand("DEL", keys.file(id)), RedisCommand("ZREM", keys.files(desk: desk), id)])
    return true
  }

  /// Newest first. Ids whose file expired are dropped from the index on the way.
  func list(desk: String, limit: Int) throws -> [StoredFile] {
    let ids = (try redis.command("ZREVRANGE", keys.files(desk: desk), 0, limit - 1).array ?? []).compactMap(\.string)
    let replies = try redis.pipeline(ids.map { RedisCommand(["HMGET", keys.file($0)] + StoredFile.fields) })
    var files: [StoredFile] = []
    var gone: [String] = []
    for (id, reply) in zip(ids, replies) {
      if let file = StoredFile(id: id, values: reply.array ?? []) { files.append(file) } else { gone.append(id) }
    }
    if !gone.isEmpty { _ = try redis.command(RedisCommand(["ZREM", keys.files(desk: desk)] + gone)) }
    return files
  }

  /// Ids reach Redis keys: anything but our own alphabet is simply not found.
  static func isPlausibleID(_ id: String) -> Bool {
    !id.isEmpty && id.utf8.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
  }
}
