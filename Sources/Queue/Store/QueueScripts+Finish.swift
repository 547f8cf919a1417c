import NightdeskRedis

extension QueueScripts {
  /// ARGV[3] id, ARGV[4] token, ARGV[5] result JSON, ARGV[6] prompt tokens,
  /// ARGV[7] generated tokens, ARGV[8] requests done. Stores the result once, and
  /// only for the attempt holding the current token: a worker whose lease was taken
  /// over gets `fenced:<state>` and its result is dropped.
  /// Returns `ok`, `duplicate` (this attempt's result was already stored: a retried
  /// write whose first reply was lost) or `fenced:<state>`.
  static let complete = RedisScript(prelude + #"""
    local id, token = ARGV[3], ARGV[4]
    local h = P .. 'job:' .. id
    local f = redis.call('HMGET', h, 'state', 'token', 'batch', 'lane', 'entry', 'p_prompt', 'p_generated', 'idem')
    if f[1] == 'succeeded' and f[2] == token then return 'duplicate' end
    if f[1] ~= 'running' or f[2] ~= token then return 'fenced:' .. (f[1] or 'missing') end
    if not redis.call('SET', P .. 'result:' .. id, ARGV[5], 'NX', 'EX', RETENTION) then
      return 'fenced:result-exists'
    end
    local now = now_ms()
    local batch = f[3]
    local bkey = P .. 'batch:' .. batch
    remove_entry(f[4], f[5])
    local prompt, generated = tonumber(ARGV[6]), tonumber(ARGV[7])
    redis.call('HINCRBY', bkey, 'prompt_tokens', prompt - (tonumber(f[6]) or 0))
    redis.call('HINCRBY', bkey, 'generated_tokens', generated - (tonumber(f[7]) or 0))
    redis.call('HINCRBY', bkey, 'requests_done', tonumber(ARGV[8]))
    redis.call('HSET', h, 'state', 'succeeded', 'finished', now, 'p_prompt', prompt, 'p_generated', generated,
      'p_done', ARGV[8], 'error', '')
    move(batch, 'running', 'succeeded')
    group_finished(h, id)
    finished(h, batch)
    if f[8] and f[8] ~= '' then redis.call('EXPIRE', P .. 'idem:' .. f[8], RETENTION) end
    event('succeeded', id, batch)
    return 'ok'
    """#)

  /// ARGV[3] id, ARGV[4] token, ARGV[5] error, ARGV[6] `retry` or `fail`, ARGV[7]
  /// backoff ms. A retryable failure waits in `delayed` while attempts remain, then
  /// goes to the dead-letter stream; `fail` ends the job at once (the request itself
  /// is bad). Returns `delayed`, `dead`, `failed` or `fenced:<state>`.
  static let fail = RedisScript(prelude + #"""
    local id, token, why, mode, delay = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
    local h = P .. 'job:' .. id
    local f = redis.call('HMGET', h, 'state', 'token', 'batch', 'lane', 'entry', 'p_prompt', 'p_generated',
      'attempts', 'max_attempts')
    if f[1] ~= 'running' or f[2] ~= token then return 'fenced:' .. (f[1] or 'missing') end
    local now = now_ms()
    local batch = f[3]
    remove_entry(f[4], f[5])
    drop_progress(h, batch, f[6], f[7])
    if mode == 'retry' and tonumber(f[8]) < tonumber(f[9]) then
      redis.call('ZADD', P .. 'delayed', now + delay, id)
      redis.call('HSET', h, 'state', 'delayed', 'error', why, 'retry_at', now + delay, 'entry', '')
      move(batch, 'running', 'delayed')
      event('delayed', id, batch)
      return 'delayed'
    end
    local state = 'failed'
    if mode == 'retry' then
      state = 'dead'
      redis.call('XADD', P .. 'dead', 'MAXLEN', '~', 100000, '*', 'job', id, 'batch', batch, 'error', why,
        'attempts', f[8])
    end
    redis.call('HSET', h, 'state', state, 'error', why, 'finished', now, 'entry', '')
    move(batch, 'running', state)
    group_finished(h, id)
    finished(h, batch)
    event(state, id, batch)
    return state
    """#)

  /// ARGV[3] count, then id and token per job. Gives running jobs back to their
  /// queue (a worker stopping): a fresh stream entry, the attempt not counted.
  /// Returns per job 1 if given back, else the job's state.
  static let release = RedisScript(prelude + #"""
    local n = tonumber(ARGV[3])
    local out = {}
    for i = 0, n - 1 do
      local id, token = ARGV[4 + i * 2], ARGV[5 + i * 2]
      local h = P .. 'job:' .. id
      local f = redis.call('HMGET', h, 'state', 'token', 'batch', 'lane', 'entry', 'p_prompt', 'p_generated',
        'attempts', 'priority', 'prefix')
      if f[1] == 'running' and f[2] == token then
        remove_entry(f[4], f[5])
        drop_progress(h, f[3], f[6], f[7])
        enqueue(h, id, f[9], f[10])
        redis.call('HSET', h, 'attempts', math.max(0, tonumber(f[8]) - 1), 'worker', '')
        move(f[3], 'running', 'queued')
        event('released', id, f[3])
        out[#out + 1] = 1
      else
        out[#out + 1] = f[1] or 'missing'
      end
    end
    return out
    """#)

  /// ARGV[3...] job ids. Queued, delayed, held and running jobs become `cancelled`; a
  /// running job's token moves on, so its worker's renewal fails, it stops the
  /// generation, and any late result is refused. Returns each job's previous state.
  static let cancel = RedisScript(prelude + #"""
    local now = now_ms()
    local out = {}
    for i = 3, #ARGV do
      local id = ARGV[i]
      local h = P .. 'job:' .. id
      local f = redis.call('HMGET', h, 'state', 'batch', 'lane', 'entry', 'prefix')
      local state = f[1]
      if state == 'queued' or state == 'delayed' or state == 'running' or state == 'held' then
        if state == 'delayed' then redis.call('ZREM', P .. 'delayed', id) else remove_entry(f[3], f[4]) end
        unindex(id, f[5])
        if state == 'running' then redis.call('HINCRBY', h, 'token', 1) end
        redis.call('HSET', h, 'state', 'cancelled', 'finished', now, 'entry', '')
        move(f[2], state, 'cancelled')
        group_finished(h, id)
        finished(h, f[2])
        event('cancelled', id, f[2])
      end
      out[#out + 1] = state or 'missing'
    end
    return out
    """#)

  /// ARGV[3...] job ids. Failed, dead and cancelled jobs go back to their queue with
  /// fresh attempts (the token keeps counting); a deadline already passed is dropped (a
  /// retry asks for the job to run, and it would fail again at once). Returns each job's
  /// previous state.
  static let retry = RedisScript(prelude + #"""
    local out = {}
    local now = now_ms()
    for i = 3, #ARGV do
      local id = ARGV[i]
      local h = P .. 'job:' .. id
      local f = redis.call('HMGET', h, 'state', 'batch', 'priority', 'prefix', 'deadline')
      local state = f[1]
      if state == 'failed' or state == 'dead' or state == 'cancelled' then
        enqueue(h, id, f[3], f[4])
        redis.call('HSET', h, 'attempts', 0, 'error', '')
        if f[5] and f[5] ~= '' and now > tonumber(f[5]) then redis.call('HSET', h, 'deadline', '') end
        redis.call('PERSIST', h)
        redis.call('PERSIST', P .. 'batch:' .. f[2])
        redis.call('PERSIST', P .. 'batch:' .. f[2] .. ':jobs')
        redis.call('HDEL', P .. 'batch:' .. f[2], 'notified')
        move(f[2], state, 'queued')
        event('retried', id, f[2])
      end
      out[#out + 1] = state or 'missing'
    end
    return out
    """#)
}
