#!/usr/bin/env python3
"""Watches a Redis with MONITOR and records every call of the queue's `complete`
script: one line `JOB TOKEN WORKER` per call, as Redis received it (WORKER from the
result, `-` if it has none). A job that reaches
`complete` with two different fencing tokens ran to completion twice (the second
result is refused by fencing, but the work was done twice); the same token twice is
one attempt retrying its write (NOSCRIPT, a lost reply, an OOM refusal).

    monitor.py REDIS_URL OUT_FILE STATUS_FILE

Reconnects whenever the connection drops (a Redis restart) until SIGTERM. Each time
MONITOR is accepted it appends a line to STATUS_FILE, so the driver can wait for the
monitor before it lets clients in.

The complete script is recognised by its arguments (QueueScripts+Finish.swift:
`EVALSHA sha 1 <q:normal> <prefix> <retention> <job id> <token> <result JSON> ...`,
where the result JSON starts with {"job": <job id>).
"""
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import Redis  # noqa: E402

QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')
JOB_ID = re.compile(rb"^[A-Za-z0-9]+\.[0-9]+$")
WORKER = re.compile(rb'\\"worker\\": \\"([^"\\]*)\\"')
stopping = False


def on_term(*_):
    global stopping
    stopping = True


def complete_call(line):
    """(job, token, worker) if the MONITOR line is a call of the complete script, else None."""
    if b'] "EVALSHA" ' not in line or b"[0 lua]" in line:
        return None
    tokens = []
    for match in QUOTED.finditer(line):
        tokens.append(match.group(1))
        if len(tokens) == 9:
            break
    # EVALSHA sha 1 key prefix retention id token json
    if len(tokens) < 9 or tokens[0] != b"EVALSHA" or tokens[2] != b"1":
        return None
    job, token, result = tokens[6], tokens[7], tokens[8]
    if not JOB_ID.match(job) or not token.isdigit():
        return None
    if not result.startswith(b'{\\"job\\": \\"' + job + b'\\"'):
        return None
    worker = WORKER.search(result)
    return job.decode(), token.decode(), worker.group(1).decode() if worker else "-"


def main():
    url, out_path, status_path = sys.argv[1:4]
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    connections = 0
    with open(out_path, "a", buffering=1) as out:
        while not stopping:
            try:
                redis = Redis(url, timeout=0.5)
                redis.send("MONITOR")
                if redis.readline() != b"+OK":
                    raise ConnectionError("MONITOR refused")
            except (OSError, ConnectionError):
                time.sleep(0.02)
                continue
            connections += 1
            with open(status_path, "a") as status:
                status.write("connected %d\n" % connections)
            while not stopping:
                try:
                    line = redis.readline()
                except TimeoutError:
                    continue
                except (OSError, ConnectionError):
                    break
                call = complete_call(line)
                if call:
                    out.write("%s %s %s\n" % call)
            redis.close()


if __name__ == "__main__":
    main()
