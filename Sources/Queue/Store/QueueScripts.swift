import NightdeskRedis

/// The Lua scripts that make every state change atomic. Each gets the queue's key
/// prefix as ARGV[1] and the retention in seconds as ARGV[2]; KEYS[1] is the normal
/// stream, only so a Redis Cluster routes the call to the queue's slot (every key
/// shares its hash tag).
///
/// Job hash fields the scripts agree on: `state`, `batch`, `priority`, `lane` (the
/// stream the job's entry is in: its priority's, or `affinity` when a worker holding
/// its prefix pulled it ahead), `entry` (the stream entry of the current delivery), `attempts` (claims since submission or
/// the last `retry`), `max_attempts`, `token` (the fencing token: grows with every claim
/// and cancel, and is at least the server clock in µs at the claim),
/// `worker`, `deadline` (ms), `p_prompt`/`p_generated`/`p_done` (progress of the
/// running attempt, also summed into the batch), `error`.
enum QueueScripts {
  /// Helpers every script starts with.
  static let prelude = #"""
    local P = ARGV[1]
    local RETENTION = tonumber(ARGV[2])
    local GROUP = 'workers'
    local function now_ms()
      local t = redis.call('TIME')
      return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local function ensure_group(qkey)
      redis.pcall('XGROUP', 'CREATE', qkey, GROUP, '0', 'MKSTREAM')
    end
    local function move(batch, from, to)
      if from == to then return end
      local bkey = P .. 'batch:' .. batch
      if from then redis.call('HINCRBY', bkey, from, -1) end
      if to then redis.call('HINCRBY', bkey, to, 1) end
    end
    local function remove_entry(lane, entry)
      if entry and entry ~= '' then
        local qkey = P .. 'q:' .. lane
        redis.call('XACK', qkey, GROUP, entry)
        redis.call('XDEL', qkey, entry)
      end
    end
    local function event(kind, id, batch)
      redis.call('XADD', P .. 'events', 'MAXLEN', '~', 100000, '*', 'event', kind, 'job', id, 'batch', batch)
    end
    -- Finished records live for the retention. The batch never expires while any of its
    -- jobs is still to run (however long that takes), then lives for the retention after
    -- its last one finished. Call after `move`, so the counters are current.
    local function finished(h, batch)
      redis.call('EXPIRE', h, RETENTION)
      local bkey = P .. 'batch:' .. batch
      local open = redis.call('HMGET', bkey, 'queued', 'delayed', 'running', 'held')
      local pending = (tonumber(open[1]) or 0) + (tonumber(open[2]) or 0) + (tonumber(open[3]) or 0)
        + (tonumber(open[4]) or 0)
      if pending > 0 then
        redis.call('PERSIST', bkey)
        redis.call('PERSIST', bkey .. ':jobs')
      else
        redis.call('EXPIRE', bkey, RETENTION)
        redis.call('EXPIRE', bkey .. ':jobs', RETENTION)
        -- The finish that ends a batch with an --on-complete queues its notice, once
        -- (`notified`; a retry or new jobs re-open the batch and clear it).
        local kind = redis.call('HGET', bkey, 'on_complete_kind')
        if kind and redis.call('HSETNX', bkey, 'notified', 1) == 1 then
          redis.call('RPUSH', P .. 'completions:' .. kind, batch)
        end
      end
    end
    -- Puts a job (back) in its priority's stream, and in its prefix's index for affinity.
    local function enqueue(h, id, priority, prefix)
      local qkey = P .. 'q:' .. priority
      ensure_group(qkey)
      local entry = redis.call('XADD', qkey, '*', 'job', id)
      redis.call('HSET', h, 'state', 'queued', 'entry', entry, 'lane', priority)
      if prefix and prefix ~= '' then redis.call('ZADD', P .. 'pfx:' .. prefix, redis.call('HGET', h, 'created') or 0, id) end
      return entry
    end
    -- A chunk job of a document's group has finished (succeeded, failed, dead or
    -- cancelled): it joins the group's done set, and the one finish that completes the set
    -- queues the held synthesis job. The set makes this exactly once: a job finishing again
    -- (retried, a duplicate reply) adds nothing, and the synthesis must still be `held`.
    -- Call after `move`.
    local function group_finished(h, id)
      local g = redis.call('HMGET', h, 'group', 'role')
      if not g[1] or g[1] == '' or g[2] ~= 'chunk' then return end
      local gkey = P .. 'group:' .. g[1]
      if redis.call('SADD', gkey .. ':done', id) == 0 then return end
      local gf = redis.call('HMGET', gkey, 'expected', 'synthesis')
      if not gf[2] or redis.call('SCARD', gkey .. ':done') < (tonumber(gf[1]) or 0) then return end
      local sh = P .. 'job:' .. gf[2]
      local sf = redis.call('HMGET', sh, 'state', 'priority', 'prefix', 'batch')
      if sf[1] ~= 'held' then return end
      enqueue(sh, gf[2], sf[2], sf[3])
      move(sf[4], 'held', 'queued')
      redis.call('PERSIST', P .. 'batch:' .. sf[4])
      redis.call('PERSIST', P .. 'batch:' .. sf[4] .. ':jobs')
      event('queued', gf[2], sf[4])
    end
    local function unindex(id, prefix)
      if prefix and prefix ~= '' then redis.call('ZREM', P .. 'pfx:' .. prefix, id) end
    end
    -- The running attempt's progress leaves the batch totals (the attempt is over without a result).
    local function drop_progress(h, batch, prompt, generated)
      local bkey = P .. 'batch:' .. batch
      prompt = tonumber(prompt) or 0
      generated = tonumber(generated) or 0
      if prompt ~= 0 then redis.call('HINCRBY', bkey, 'prompt_tokens', -prompt) end
      if generated ~= 0 then redis.call('HINCRBY', bkey, 'generated_tokens', -generated) end
      redis.call('HSET', h, 'p_prompt', 0, 'p_generated', 0, 'p_done', 0)
    end

    """#

  /// ARGV[3] batch, ARGV[4] desk, ARGV[5] job count, then 10 per job: priority, spec,
  /// prefix hash, request count, max attempts, deadline ms (''), idempotency key (''),
  /// content fingerprint (what the key promises: the spec without its deadline), group
  /// id ('') and role in it (`chunk` or `synthesis`). A group's chunk jobs come before
  /// its synthesis job, which is stored `held` (in no stream) unless they have all
  /// finished already (a group split over several calls).
  /// A new job's id is `<batch>.<n>`, n given out here from the batch's `seq` (so two
  /// submissions appending to one batch at once never pick the same id).
  /// Returns 2 per job: the job id and `new`, `duplicate` (the key's earlier job id, same
  /// content), `conflict` (the key's earlier job, different content: not queued) or `exists`.
  static let submit = RedisScript(prelude + #"""
    local batch, desk, n = ARGV[3], ARGV[4], tonumber(ARGV[5])
    local now = now_ms()
    local bkey = P .. 'batch:' .. batch
    local out, added, requests, ensured, held = {}, {}, 0, {}, 0
    -- The next free id of the batch; a record left from an expired batch is skipped.
    local function next_id()
      if redis.call('HEXISTS', bkey, 'seq') == 0 then
        redis.call('HSET', bkey, 'seq', redis.call('LLEN', bkey .. ':jobs'))
      end
      for _ = 1, 1000 do
        local id = batch .. '.' .. (redis.call('HINCRBY', bkey, 'seq', 1) - 1)
        if redis.call('EXISTS', P .. 'job:' .. id) == 0 then return id end
      end
      return nil
    end
    for i = 0, n - 1 do
      local a = 6 + i * 10
      local priority, spec, prefix = ARGV[a], ARGV[a + 1], ARGV[a + 2]
      local nreq, maxa, deadline, idem, content = ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7]
      local group, role = ARGV[a + 8], ARGV[a + 9]
      local id, status = nil, 'new'
      if idem ~= '' then
        local prior = redis.call('GET', P .. 'idem:' .. idem)
        if prior then
          id, status = prior, 'duplicate'
          local known = redis.call('HGET', P .. 'job:' .. prior, 'content')
          if known and known ~= '' and known ~= content then status = 'conflict' end
        end
      end
      if status == 'new' then
        id = next_id()
        if not id then id, status = batch .. '.?', 'exists' end
      end
      local h = P .. 'job:' .. id
      if status == 'new' then
        if idem ~= '' then redis.call('SET', P .. 'idem:' .. idem, id, 'EX', RETENTION) end
        local state, gkey = 'queued', P .. 'group:' .. group
        if group ~= '' and role == 'synthesis' then
          redis.call('HSET', gkey, 'synthesis', id)
          if redis.call('SCARD', gkey .. ':done') < (tonumber(redis.call('HGET', gkey, 'expected')) or 0) then
            state = 'held'
          end
        elseif group ~= '' then
          redis.call('HINCRBY', gkey, 'expected', 1)
          redis.call('RPUSH', gkey .. ':jobs', id)
        end
        if group ~= '' then
          redis.call('EXPIRE', gkey, RETENTION * 2)
          redis.call('EXPIRE', gkey .. ':jobs', RETENTION * 2)
        end
        local entry = ''
        if state == 'queued' then
          local qkey = P .. 'q:' .. priority
          if not ensured[qkey] then
            ensure_group(qkey)
            ensured[qkey] = true
          end
          entry = redis.call('XADD', qkey, '*', 'job', id)
          if prefix ~= '' then redis.call('ZADD', P .. 'pfx:' .. prefix, now, id) end
        else
          held = held + 1
        end
        redis.call('HSET', h, 'id', id, 'batch', batch, 'desk', desk, 'priority', priority, 'lane', priority,
          'state', state, 'spec', spec, 'prefix', prefix, 'requests', nreq, 'max_attempts', maxa, 'attempts', 0,
          'token', 0, 'entry', entry, 'created', now, 'deadline', deadline, 'idem', idem, 'content', content,
          'group', group, 'role', role)
        added[#added + 1] = id
        requests = requests + tonumber(nreq)
      end
      out[#out + 1] = id
      out[#out + 1] = status
    end
    if #added > 0 then
      redis.call('RPUSH', bkey .. ':jobs', unpack(added))
      redis.call('HSETNX', bkey, 'id', batch)
      redis.call('HSETNX', bkey, 'desk', desk)
      redis.call('HSETNX', bkey, 'created', now)
      redis.call('HINCRBY', bkey, 'total', #added)
      redis.call('HINCRBY', bkey, 'queued', #added - held)
      if held > 0 then redis.call('HINCRBY', bkey, 'held', held) end
      redis.call('HINCRBY', bkey, 'requests', requests)
      redis.call('HDEL', bkey, 'notified')
      redis.call('PERSIST', bkey)
      redis.call('PERSIST', bkey .. ':jobs')
      redis.call('ZADD', P .. 'batches', 'NX', now, batch)
      redis.call('XADD', P .. 'events', 'MAXLEN', '~', 100000, '*', 'event', 'submitted', 'batch', batch,
        'jobs', #added)
    end
    return out
    """#)

  /// ARGV[3] worker, ARGV[4] how many, ARGV[5] lease ms, ARGV[6] '1' to also reclaim
  /// expired leases, ARGV[7] count of warm prefixes, then the prefixes (most recent
  /// first). Moves due retries back to their streams; takes expired leases
  /// (XAUTOCLAIM); then queued jobs of the highest waiting priority whose prefix the
  /// worker holds (affinity: moved to the `affinity` stream and delivered from there);
  /// then new entries, highest priority first.
  /// Returns 9 per claimed job: id, lane, entry, token, attempt, batch, spec, prefix, and
  /// 1 if it was reclaimed from an expired lease (else 0).
  static let claim = RedisScript(prelude + #"""
    local worker, want, lease, reclaim = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
    local now = now_ms()
    local out, got = {}, 0
    local PRIORITIES = {'high', 'normal', 'low'}

    local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 256)
    for _, id in ipairs(due) do
      redis.call('ZREM', P .. 'delayed', id)
      local h = P .. 'job:' .. id
      local f = redis.call('HMGET', h, 'state', 'priority', 'batch', 'prefix')
      if f[1] == 'delayed' then
        enqueue(h, id, f[2], f[4])
        move(f[3], 'delayed', 'queued')
      end
    end

    local function take(lane, entry, id, reclaimed)
      local qkey = P .. 'q:' .. lane
      local h = P .. 'job:' .. id
      local f = redis.call('HMGET', h, 'state', 'entry', 'attempts', 'max_attempts', 'token', 'deadline', 'batch',
        'p_prompt', 'p_generated', 'spec', 'prefix', 'worker', 'lease', 'renewed')
      local state, batch = f[1], f[7]
      -- An entry that no longer stands for its job (record expired, job re-queued,
      -- finished): acknowledge it and move on.
      if not state or f[2] ~= entry then
        redis.call('XACK', qkey, GROUP, entry)
        redis.call('XDEL', qkey, entry)
        return
      end
      if (reclaimed and state ~= 'running') or (not reclaimed and state ~= 'queued') then
        redis.call('XACK', qkey, GROUP, entry)
        return
      end
      -- The lease is the holder's: idle past the reclaimer's lease but renewed within the
      -- holder's own, the entry goes back to its holder untouched.
      if reclaimed and f[12] and f[13] and f[14] and now - tonumber(f[14]) < tonumber(f[13]) then
        redis.call('XCLAIM', qkey, GROUP, f[12], 0, entry, 'JUSTID')
        return
      end
      if f[6] and f[6] ~= '' and now > tonumber(f[6]) then
        remove_entry(lane, entry)
        drop_progress(h, batch, f[8], f[9])
        unindex(id, f[11])
        -- OpenAIBatchFiles.deadlinePassed: an API batch's requests that expired unstarted.
        redis.call('HSET', h, 'state', 'failed', 'error', 'the deadline passed before the job could run', 'finished', now)
        move(batch, state, 'failed')
        group_finished(h, id)
        finished(h, batch)
        event('failed', id, batch)
        return
      end
      local attempts = tonumber(f[3]) + 1
      -- A token is never handed out twice, even when Redis lost acknowledged writes (AOF
      -- everysec on a host crash, failover to a replica behind): it is at least the
      -- server clock in microseconds, which a rollback does not turn back.
      local clock = redis.call('TIME')
      local token = string.format('%.0f', math.max(tonumber(f[5]) + 1, tonumber(clock[1]) * 1000000 + tonumber(clock[2])))
      if attempts > tonumber(f[4]) then
        local why = 'lease expired on the last of ' .. f[4] .. ' attempts (worker died or stalled)'
        remove_entry(lane, entry)
        drop_progress(h, batch, f[8], f[9])
        unindex(id, f[11])
        redis.call('HSET', h, 'state', 'dead', 'error', why, 'finished', now)
        redis.call('XADD', P .. 'dead', 'MAXLEN', '~', 100000, '*', 'job', id, 'batch', batch, 'error', why,
          'attempts', f[3])
        move(batch, state, 'dead')
        group_finished(h, id)
        finished(h, batch)
        event('dead', id, batch)
        return
      end
      drop_progress(h, batch, f[8], f[9])
      unindex(id, f[11])
      redis.call('HSET', h, 'state', 'running', 'worker', worker, 'attempts', attempts, 'token', token, 'started', now,
        'lease', lease, 'renewed', now)
      move(batch, state, 'running')
      if reclaimed then event('reclaimed', id, batch) end
      out[#out + 1] = id
      out[#out + 1] = lane
      out[#out + 1] = entry
      out[#out + 1] = token
      out[#out + 1] = attempts
      out[#out + 1] = batch
      out[#out + 1] = f[10]
      out[#out + 1] = f[11] or ''
      out[#out + 1] = reclaimed and 1 or 0
      got = got + 1
    end

    -- XAUTOCLAIM looks at 10 x COUNT pending entries at most per call: each lane's scan
    -- goes on from where the last claim left it (reclaim:<lane>), a few calls per claim,
    -- so an expired entry behind many live ones is reached within a few claims.
    if reclaim then
      for _, lane in ipairs({'high', 'normal', 'low', 'affinity'}) do
        if got >= want then break end
        local qkey, ckey = P .. 'q:' .. lane, P .. 'reclaim:' .. lane
        if redis.call('EXISTS', qkey) == 1 then
          local cursor = redis.call('GET', ckey) or '0-0'
          for _ = 1, 8 do
            if got >= want then break end
            local r = redis.pcall('XAUTOCLAIM', qkey, GROUP, worker, lease, cursor, 'COUNT', want - got)
            if type(r) ~= 'table' or r.err then break end
            for _, e in ipairs(r[2]) do
              if type(e) == 'table' and type(e[2]) == 'table' then take(lane, e[1], e[2][2], true) end
            end
            cursor = r[1]
            if cursor == '0-0' then break end
          end
          redis.call('SET', ckey, cursor)
        end
      end
    end

    -- Affinity: jobs whose prefix this worker holds warm, of the highest priority
    -- that has anything waiting (so affinity never lets low work overtake high).
    local warm = tonumber(ARGV[7] or '0') or 0
    if warm > 0 and got < want then
      local top = nil
      for _, priority in ipairs(PRIORITIES) do
        local qkey = P .. 'q:' .. priority
        if redis.call('EXISTS', qkey) == 1 then
          local pending = redis.pcall('XPENDING', qkey, GROUP)
          local inflight = (type(pending) == 'table' and not pending.err) and tonumber(pending[1]) or 0
          if redis.call('XLEN', qkey) > inflight then
            top = priority
            break
          end
        end
      end
      local akey = P .. 'q:affinity'
      local moved = 0
      for i = 1, warm do
        if got + moved >= want or not top then break end
        local index = P .. 'pfx:' .. ARGV[7 + i]
        for _, id in ipairs(redis.call('ZRANGE', index, 0, want - got - moved + 16)) do
          if got + moved >= want then break end
          local h = P .. 'job:' .. id
          local f = redis.call('HMGET', h, 'state', 'priority', 'entry', 'lane')
          if f[1] ~= 'queued' then
            redis.call('ZREM', index, id)
          elseif f[2] == top then
            -- Not delivered yet: move it to the affinity stream, to be delivered from
            -- there below, so it enters this worker's pending list like any claim.
            remove_entry(f[4], f[3])
            if moved == 0 then ensure_group(akey) end
            local entry = redis.call('XADD', akey, '*', 'job', id)
            redis.call('HSET', h, 'entry', entry, 'lane', 'affinity')
            moved = moved + 1
          end
        end
      end
      -- Nothing else waits undelivered in the affinity stream (entries are only added
      -- here and read at once), so this reads exactly the entries just moved.
      if moved > 0 then
        local r = redis.call('XREADGROUP', 'GROUP', GROUP, worker, 'COUNT', moved, 'STREAMS', akey, '>')
        if r and r[1] then
          for _, e in ipairs(r[1][2]) do
            if type(e[2]) == 'table' then take('affinity', e[1], e[2][2], false) end
          end
        end
      end
    end

    for _, priority in ipairs(PRIORITIES) do
      if got >= want then break end
      local qkey = P .. 'q:' .. priority
      if redis.call('EXISTS', qkey) == 1 then
        local r = redis.pcall('XREADGROUP', 'GROUP', GROUP, worker, 'COUNT', want - got, 'STREAMS', qkey, '>')
        if type(r) == 'table' and r.err then
          ensure_group(qkey)
          r = redis.pcall('XREADGROUP', 'GROUP', GROUP, worker, 'COUNT', want - got, 'STREAMS', qkey, '>')
        end
        if type(r) == 'table' and not r.err then
          for _, e in ipairs(r[1][2]) do
            if type(e[2]) == 'table' then take(priority, e[1], e[2][2], false) end
          end
        end
      end
    end
    return out
    """#)

  /// ARGV[3] worker, ARGV[4] count, then 7 per lease: id, token, lane, entry,
  /// prompt tokens done, tokens generated, requests done (the three '' when there
  /// is no new progress). Resets each held entry's idle time (the lease) and writes
  /// progress; returns per lease 1 (still ours) or the job's state if it is not.
  static let renew = RedisScript(prelude + #"""
    local worker, n = ARGV[3], tonumber(ARGV[4])
    local now = now_ms()
    local out = {}
    for i = 0, n - 1 do
      local a = 5 + i * 7
      local id, token, lane, entry = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
      local h = P .. 'job:' .. id
      local f = redis.call('HMGET', h, 'state', 'token', 'batch', 'p_prompt', 'p_generated')
      if f[1] == 'running' and f[2] == token then
        redis.call('XCLAIM', P .. 'q:' .. lane, GROUP, worker, 0, entry, 'JUSTID')
        redis.call('HSET', h, 'renewed', now)
        if ARGV[a + 4] ~= '' then
          local prompt, generated = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
          local bkey = P .. 'batch:' .. f[3]
          redis.call('HINCRBY', bkey, 'prompt_tokens', prompt - (tonumber(f[4]) or 0))
          redis.call('HINCRBY', bkey, 'generated_tokens', generated - (tonumber(f[5]) or 0))
          redis.call('HSET', h, 'p_prompt', prompt, 'p_generated', generated, 'p_done', ARGV[a + 6], 'progress_at', now)
        end
        out[#out + 1] = 1
      else
        out[#out + 1] = f[1] or 'missing'
      end
    end
    return out
    """#)
}
