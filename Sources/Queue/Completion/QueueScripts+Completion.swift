import NightdeskRedis

extension QueueScripts {
  /// ARGV[3] batch, ARGV[4] target, ARGV[5] kind.
  static let setCompletion = RedisScript(prelude + #"""
    local batch, target, kind = ARGV[3], ARGV[4], ARGV[5]
    local bkey = P .. 'batch:' .. batch
    redis.call('HSET', bkey, 'on_complete', target, 'on_complete_kind', kind)
    local f = redis.call('HMGET', bkey, 'total', 'queued', 'delayed', 'running', 'held')
    local pending = 0
    for i = 2, 5 do pending = pending + (tonumber(f[i]) or 0) end
    if (tonumber(f[1]) or 0) > 0 and pending == 0 and redis.call('HSETNX', bkey, 'notified', 1) == 1 then
      redis.call('RPUSH', P .. 'completions:' .. kind, batch)
    end
    return 'ok'
    """#)
}
