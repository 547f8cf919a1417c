import NightdeskRedis
import NightdeskSupport

/// The models the queue's workers serve (`models`, a hash by model digest).
extension QueueClient {
  /// Records (or refreshes) the model a worker serves, stamped with the server's time.
  public func register(model: ModelRegistration) throws(QueueError) {
    var entry = model
    entry.registeredAt = try serverTimeMilliseconds()
    _ = try command(RedisCommand("HSET", keys.models, entry.digest, JSONWriter.string(entry.json)))
  }

  /// Every registered model, latest registration first; entries that do not parse are left out.
  public func registeredModels() throws(QueueError) -> [ModelRegistration] {
    let values = Self.hash(try command(RedisCommand("HGETALL", keys.models))).values
    return values.compactMap { text in (try? JSONParser.parse(text)).flatMap(ModelRegistration.init(json:)) }
      .sorted { $0.registeredAt > $1.registeredAt }
  }
}
