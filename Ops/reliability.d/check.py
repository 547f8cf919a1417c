#!/usr/bin/env python3
"""Counts a queue scenario's outcome from the outside — Redis and the result store,
never the workers' own reports — and prints the contract line

    SCENARIO: submitted=N succeeded=N dead=N lost=N twice=N faults=N wall_s=S

    check.py --scenario NAME --redis URL --nightdesk BIN --submissions FILE
             --monitor FILE --faults N --wall S [--queue NAME] [--problem TEXT]...

--submissions holds one line per accepted submission: `BATCH<TAB>INPUT_FILE` (an
OpenAI batch file; each request is its own job, named by its custom_id). A keyed
submission repeated after a failure names the same batch and file again.

Per submitted request (= job):
  succeeded  its job hash says succeeded, result:<job> exists, and
             `nightdesk results --format jsonl` gives it a text
  dead       its job hash says dead and the dead-letter stream holds it (explained
             by the error printed; max attempts are far above what the scenario's
             faults can use up, so every dead job also fails the run)
  lost       anything else: missing from the results, stuck queued/running, failed,
             succeeded without a result
  twice      stored or counted twice: its custom_id appears on more than one results
             line, or the events stream holds more than one `succeeded` for its job,
             or its stored result is not the one of the attempt that holds the job (a
             stale attempt's result got past the fencing), or Redis holds more jobs
             for the batch than were submitted, or it also ran (succeeded) in a batch
             that no submit reported (a refused submit had queued it)
A job that reached the `complete` script with two different fencing tokens (seen by
the MONITOR recorder, monitor.py) ran to completion twice, and fencing refused the
later result: work done twice, stored once. That is what a lease promises when a
worker is cut off longer than its lease, so it is not `twice`; the count is a note
(`ran twice, stored once`), with examples.
Also: every batch hash must agree with its jobs (counters per state).
Exit status 1 when any figure is off, naming which on standard error.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import Redis, hash_reply  # noqa: E402

EXAMPLES = 5


def read_stream(redis, key):
    entries, start = [], "-"
    while True:
        chunk = redis.command("XRANGE", key, start, "+", "COUNT", 5000) or []
        if start != "-" and chunk:
            chunk = chunk[1:]
        if not chunk:
            return entries
        for entry_id, fields in chunk:
            entries.append(hash_reply(fields))
        start = chunk[-1][0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--queue", default="main")
    parser.add_argument("--nightdesk", required=True)
    parser.add_argument("--submissions", required=True)
    parser.add_argument("--monitor", required=True)
    parser.add_argument("--faults", type=int, required=True)
    parser.add_argument("--wall", type=float, required=True)
    parser.add_argument("--problem", action="append", default=[])
    args = parser.parse_args()
    prefix = "nd:{%s}:" % args.queue
    problems = list(args.problem)
    notes = []

    # What was submitted: (batch, custom_id) in submission order, once each.
    expected = collections.OrderedDict()
    if os.path.exists(args.submissions):
        for line in open(args.submissions):
            if not line.strip():
                continue
            batch, path = line.rstrip("\n").split("\t")
            for request in open(path):
                if request.strip():
                    expected[(batch, json.loads(request)["custom_id"])] = True
    batches = list(dict.fromkeys(batch for batch, _ in expected))

    redis = Redis(args.redis, timeout=30)
    url = args.redis

    # The result store, as the CLI reports it.
    lines_by_id = collections.defaultdict(list)
    for batch in batches:
        run = subprocess.run(
            [args.nightdesk, "results", batch, "--format", "jsonl", "--redis", url, "--queue", args.queue],
            capture_output=True, timeout=300)
        if run.returncode != 0:
            problems.append("nightdesk results %s exited %d: %s" % (batch, run.returncode, run.stderr.decode()[-300:]))
            continue
        for text in run.stdout.decode("utf-8", "replace").splitlines():
            if text.strip():
                record = json.loads(text)
                lines_by_id[(batch, record.get("custom_id"))].append(record)

    # Every state change, and every call of the complete script.
    events = collections.Counter()
    reclaims = 0
    for event in read_stream(redis, prefix + "events"):
        if event.get("event") == "succeeded":
            events[event.get("job")] += 1
        elif event.get("event") == "reclaimed":
            reclaims += 1
    dead_letters = {entry.get("job"): entry.get("error") for entry in read_stream(redis, prefix + "dead")}
    tokens = collections.defaultdict(dict)  # job -> {fencing token: worker}
    if os.path.exists(args.monitor):
        for text in open(args.monitor):
            parts = text.split()
            if len(parts) == 3:
                tokens[parts[0]][parts[1]] = parts[2]

    succeeded, dead, lost, twice, reran = [], [], [], [], []
    jobs_of_batch = collections.defaultdict(list)
    for (batch, custom_id) in expected:
        records = lines_by_id.get((batch, custom_id), [])
        if not records:
            lost.append("%s %s: not in `nightdesk results %s`" % (batch, custom_id, batch))
            continue
        job = records[0].get("job")
        jobs_of_batch[batch].append(job)
        why_twice = []
        if len(records) > 1:
            why_twice.append("%d results lines" % len(records))
        if events[job] > 1:
            why_twice.append("%d succeeded events" % events[job])
        if len(tokens[job]) > 1:
            reran.append("%s (%s) ran to completion %d times: %s" % (job, custom_id, len(tokens[job]), ", ".join(
                "token %s on %s" % (token, worker) for token, worker in sorted(tokens[job].items()))))
        fields = redis.command("HMGET", prefix + "job:" + job, "state", "attempts", "error", "worker")
        state, attempts, error, worker = fields
        stored = redis.command("GET", prefix + "result:" + job)
        has_result = stored is not None
        if has_result and state == "succeeded":
            result = json.loads(stored)
            if str(result.get("attempt")) != str(attempts) or result.get("worker") != worker:
                why_twice.append("its stored result is attempt %s's on %s, but attempt %s on %s holds the job" % (
                    result.get("attempt"), result.get("worker"), attempts, worker))
        if why_twice:
            twice.append("%s (%s): %s; state %s, attempts %s" % (job, custom_id, "; ".join(why_twice), state, attempts))
        if state == "succeeded" and has_result and records[0].get("text") is not None:
            succeeded.append(job)
        elif state == "dead" and job in dead_letters:
            dead.append("%s (%s): dead after %s attempts: %s" % (job, custom_id, attempts, dead_letters[job]))
        else:
            lost.append("%s (%s): state %s, result %s, attempts %s, error %r, worker %s" % (
                job, custom_id, state, "stored" if has_result else "missing", attempts, error, worker))

    # Redis must hold exactly what was submitted, and counters that agree with the jobs.
    submitted_per_batch = collections.Counter(batch for batch, _ in expected)
    for batch in batches:
        counters = hash_reply(redis.command("HGETALL", prefix + "batch:" + batch))
        total = int(counters.get("total", 0))
        if total > submitted_per_batch[batch]:
            twice.append("batch %s holds %d jobs for %d submitted requests (queued twice)" % (
                batch, total, submitted_per_batch[batch]))
        states = collections.Counter()
        for job in redis.command("LRANGE", prefix + "batch:" + batch + ":jobs", 0, -1) or []:
            states[redis.command("HGET", prefix + "job:" + job, "state")] += 1
        for state in ("queued", "delayed", "running", "succeeded", "failed", "cancelled", "dead"):
            if int(counters.get(state, 0)) != states[state]:
                problems.append("batch %s: its counter %s=%s, but %d of its jobs are %s" % (
                    batch, state, counters.get(state, 0), states[state], state))

    # The recorder must have seen every stored result's completion, or `twice` would be blind.
    unseen = [job for job in succeeded if not tokens.get(job)]
    if unseen:
        problems.append("the MONITOR recorder saw no completion for %d succeeded job(s), e.g. %s" % (
            len(unseen), ", ".join(unseen[:3])))
    # A refused submission may have queued part of its requests in a batch it never
    # named: when the producer then sends them again, they are queued (and run) twice.
    expected_ids = {custom_id for _, custom_id in expected}
    for batch in redis.command("ZRANGE", prefix + "batches", 0, -1) or []:
        if batch in submitted_per_batch:
            continue
        run = subprocess.run(
            [args.nightdesk, "results", batch, "--format", "jsonl", "--redis", url, "--queue", args.queue],
            capture_output=True, timeout=300)
        lines = [json.loads(t) for t in run.stdout.decode("utf-8", "replace").splitlines() if t.strip()]
        again = [r.get("custom_id") for r in lines if r.get("custom_id") in expected_ids and r.get("state") == "succeeded"]
        for custom_id in again:
            twice.append("%s: also ran in batch %s, which no submit reported (%d job(s) there; a refused "
                         "submit left them)" % (custom_id, batch, len(lines)))
        if lines and not again:
            notes.append("batch %s (%d jobs, none run twice) was not reported by any submit" % (batch, len(lines)))

    if reclaims:
        notes.append("%d lease(s) reclaimed" % reclaims)
    if reran:
        notes.append("%d job(s) ran twice, stored once (the later result fenced), e.g. %s" % (
            len(reran), "; ".join(reran[:EXAMPLES])))
    print("%s: submitted=%d succeeded=%d dead=%d lost=%d twice=%d faults=%d wall_s=%.1f" % (
        args.scenario, len(expected), len(succeeded), len(dead), len(lost), len(twice), args.faults, args.wall),
        flush=True)

    off = []
    for name, items in (("lost", lost), ("twice", twice), ("dead", dead)):
        if items:
            off.append(name)
            print("reliability: %s: %s=%d, e.g.:" % (args.scenario, name, len(items)), file=sys.stderr)
            for item in items[:EXAMPLES]:
                print("    " + item, file=sys.stderr)
    if not expected:
        problems.append("nothing was submitted")
    if args.faults == 0 and args.scenario != "load":
        problems.append("no fault was injected")
    for problem in problems:
        print("reliability: %s: %s" % (args.scenario, problem), file=sys.stderr)
    if problems:
        off.append("problems")
    for note in notes:
        print("reliability: %s: note: %s" % (args.scenario, note), file=sys.stderr)
    if off:
        print("reliability: %s: FAILED (%s)" % (args.scenario, ", ".join(off)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
