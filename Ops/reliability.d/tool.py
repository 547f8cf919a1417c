#!/usr/bin/env python3
"""Small Redis chores for Ops/reliability, one per subcommand:

    tool.py freeport                         a free 127.0.0.1 TCP port
    tool.py wait-ready URL SECONDS           until Redis answers PING (not LOADING)
    tool.py wait-done URL PREFIX SECONDS BATCH...
                                             until no job of the batches (and of any other
                                             batch in Redis) is queued, delayed or running
                                             (exit 1 on timeout)
    tool.py fill URL SECONDS STATUS_FILE     lowers maxmemory to just above what is used,
                                             writes filler keys until Redis refuses with
                                             OOM, writes "full" to STATUS_FILE, and keeps
                                             memory at the limit for SECONDS
    tool.py free URL delete|raise            ends a memory-full episode: delete the
                                             filler keys, or raise maxmemory
    tool.py limit URL BYTES                  sets maxmemory to what is used now plus BYTES
    tool.py cmd URL ARG...                   one command; prints the reply
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import Redis, ReplyError  # noqa: E402

FILLER = "reliability:filler:"


def connect_retrying(url, until):
    while True:
        try:
            return Redis(url, timeout=5)
        except OSError:
            if time.monotonic() > until:
                raise
            time.sleep(0.05)


def freeport():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait_ready(url, seconds):
    until = time.monotonic() + float(seconds)
    last = ""
    while time.monotonic() < until:
        try:
            redis = Redis(url, timeout=2)
            if redis.command("PING") == "PONG":
                return 0
        except (OSError, ConnectionError, ReplyError) as error:
            last = str(error)
        time.sleep(0.05)
    print("tool: Redis at %s not ready after %ss (%s)" % (url, seconds, last), file=sys.stderr)
    return 1


def wait_done(url, prefix, seconds, batches):
    until = time.monotonic() + float(seconds)
    redis = None
    state = {}
    while time.monotonic() < until:
        try:
            redis = redis or Redis(url, timeout=5)
            open_jobs = 0
            # Also any batch this private Redis holds that no submit reported.
            known = list(dict.fromkeys(list(batches) + (redis.command("ZRANGE", prefix + "batches", 0, -1) or [])))
            for batch in known:
                fields = redis.command("HMGET", prefix + "batch:" + batch, "total", "queued", "delayed", "running")
                state[batch] = fields
                if fields[0] is None:
                    open_jobs += 1  # not created yet
                else:
                    open_jobs += sum(int(v or 0) for v in fields[1:])
            if open_jobs == 0:
                return 0
        except (OSError, ConnectionError, ReplyError):
            redis = None
        time.sleep(0.2)
    print("tool: batches still open after %ss: %s" % (seconds, {
        b: dict(zip(["total", "queued", "delayed", "running"], v)) for b, v in state.items()}), file=sys.stderr)
    return 1


def fill(url, seconds, status_path):
    redis = Redis(url, timeout=5)
    used = int(redis.info("memory")["used_memory"])
    redis.command("CONFIG", "SET", "maxmemory", str(used + (4 << 20)))
    value = "x" * (64 << 10)
    n = 0
    full_at = None
    until = None
    while True:
        try:
            redis.command("SET", FILLER + str(n), value)
            n += 1
            continue
        except ReplyError as error:
            if not str(error).startswith("OOM"):
                raise
        if full_at is None:
            full_at = time.monotonic()
            until = full_at + float(seconds)
            with open(status_path, "w") as status:
                status.write("full %d filler keys\n" % n)
        if time.monotonic() >= until:
            return 0
        time.sleep(0.02)  # memory freed meanwhile (a job finished) is taken again


def free(url, mode):
    redis = Redis(url, timeout=10)
    if mode == "raise":
        used = int(redis.info("memory")["used_memory"])
        redis.command("CONFIG", "SET", "maxmemory", str(used + (512 << 20)))
        return 0
    cursor = "0"
    while True:
        cursor, keys = redis.command("SCAN", cursor, "MATCH", FILLER + "*", "COUNT", 1000)
        if keys:
            redis.command("DEL", *keys)
        if cursor == "0":
            return 0


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "freeport":
        return freeport()
    if command == "wait-ready":
        return wait_ready(*args)
    if command == "wait-done":
        return wait_done(args[0], args[1], args[2], args[3:])
    if command == "fill":
        return fill(*args)
    if command == "free":
        return free(*args)
    if command == "limit":
        redis = Redis(args[0], timeout=10)
        used = int(redis.info("memory")["used_memory"])
        redis.command("CONFIG", "SET", "maxmemory", str(used + int(args[1])))
        return 0
    if command == "cmd":
        print(Redis(args[0], timeout=10).command(*args[1:]))
        return 0
    print("tool: unknown command %r" % command, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main() or 0)
