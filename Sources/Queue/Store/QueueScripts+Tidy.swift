import NightdeskRedis

extension QueueScripts {
  /// ARGV[3] ms a worker may be silent before it is forgotten, ARGV[4] ms a stream
  /// consumer with nothing pending may be idle before it is deleted, ARGV[5] ms after
  /// which a batch whose records expired leaves `batches`. Keeps the queue's bookkeeping
  /// bounded: SIGKILLed workers, consumers of workers long gone and expired batches
  /// would otherwise stay for ever, and every affinity claim and idle poll pays for them.
  /// Returns {workers, consumers, batches} removed.
  static let tidy = RedisScript(prelude + #"""
    local now = now_ms()
    local silent, idle, old = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
    local workers = redis.call('ZREMRANGEBYSCORE', P .. 'workers', '-inf', now - silent)
    local consumers = 0
    for _, lane in ipairs({'high', 'normal', 'low', 'affinity'}) do
      local qkey = P .. 'q:' .. lane
      if redis.call('EXISTS', qkey) == 1 then
        local list = redis.pcall('XINFO', 'CONSUMERS', qkey, GROUP)
        if type(list) == 'table' and not list.err then
          for _, fields in ipairs(list) do
            local info = {}
            for i = 1, #fields, 2 do info[fields[i]] = fields[i + 1] end
            if tonumber(info['pending']) == 0 and tonumber(info['idle']) >= idle then
              redis.call('XGROUP', 'DELCONSUMER', qkey, GROUP, info['name'])
              consumers = consumers + 1
            end
          end
        end
      end
    end
    local batches = 0
    for _, batch in ipairs(redis.call('ZRANGEBYSCORE', P .. 'batches', '-inf', now - old, 'LIMIT', 0, 500)) do
      if redis.call('EXISTS', P .. 'batch:' .. batch) == 0 then
        redis.call('ZREM', P .. 'batches', batch)
        batches = batches + 1
      end
    end
    return {workers, consumers, batches}
    """#)
}
