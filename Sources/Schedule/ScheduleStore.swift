import Foundation
import NightdeskQueue
import NightdeskRedis

/// What the scheduler keeps in Redis, under the queue's prefix: each entry's last run
/// (`schedule:<entry>`) and the articles it has queued (`schedule:<entry>:seen`, by
/// URL and content digest, scored by when). Kept in Redis, not on the scheduler's
/// disk, so a scheduler moved to another machine or pod carries on where it was.
struct ScheduleStore {
  let redis: RedisConnection
  let keys: QueueKeys
  /// How long a seen article is remembered: longer than any feed keeps an item.
  let seenDays: Int

  /// When the entry last ran, nil if never.
  func lastRun(_ entry: String) throws -> Date? {
    let reply = try redis.command(RedisCommand("HGET", keys.schedule(entry), "last_run"))
    guard let text = reply.string, let milliseconds = Double(text) else { return nil }
    return Date(timeIntervalSince1970: milliseconds / 1000)
  }

  func recordRun(_ entry: String, at date: Date, batch: String?, queued: Int) throws {
    let milliseconds = String(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    var arguments: [any RedisArgumentConvertible] = ["HSET", keys.schedule(entry), "last_run", milliseconds,
                                                     "last_queued", queued]
    if let batch { arguments += ["last_batch", batch] }
    _ = try redis.command(RedisCommand(arguments))
  }

  /// Whether any of the article's members (its URL, its content) was seen.
  func isSeen(_ identity: ArticleIdentity, entry: String) throws -> Bool {
    let reply = try redis.command(RedisCommand(["ZMSCORE", keys.scheduleSeen(entry)] + identity.seenMembers))
    return (reply.array ?? []).contains { !$0.isNull }
  }

  /// Marks the article seen (after its jobs are queued: a crash in between leaves it
  /// unseen, and the retry's submission key makes its second submit queue nothing).
  func markSeen(_ identity: ArticleIdentity, entry: String, at date: Date) throws {
    let score = String(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    var arguments: [any RedisArgumentConvertible] = ["ZADD", keys.scheduleSeen(entry)]
    for member in identity.seenMembers { arguments += [score, member] }
    _ = try redis.command(RedisCommand(arguments))
  }

  /// Forgets articles seen more than `seenDays` ago, so the set stays the size of a few weeks of news.
  func forgetOld(_ entry: String, now: Date) throws {
    let cutoff = Int64(((now.timeIntervalSince1970 - Double(seenDays) * 86_400) * 1000).rounded())
    _ = try redis.command(RedisCommand("ZREMRANGEBYSCORE", keys.scheduleSeen(entry), "-inf", "(\(cutoff)"))
  }
}
