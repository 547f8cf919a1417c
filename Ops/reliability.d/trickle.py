#!/usr/bin/env python3
"""A producer that keeps submitting small batches while a scenario injects faults,
as a careful client does: each batch under its own idempotency key, and a failed
submit (Redis restarting, network cut, memory full) repeated with the same key until
it is accepted, so nothing is queued twice and nothing is left out.

    trickle.py NIGHTDESK URL DIR BATCHES JOBS_PER_BATCH INTERVAL_S DEADLINE_S SUBMISSIONS_FILE TAG

Appends `BATCH<TAB>FILE` to SUBMISSIONS_FILE for every accepted batch. Exits 1 if a
batch was still not accepted at the deadline (the driver reports it).
"""
import json
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))


def main():
    nightdesk, url, folder = sys.argv[1:4]
    batches, per_batch = int(sys.argv[4]), int(sys.argv[5])
    interval, deadline = float(sys.argv[6]), time.monotonic() + float(sys.argv[7])
    submissions, tag = sys.argv[8], sys.argv[9]
    attempts = failures = crashes = 0
    for n in range(batches):
        path = os.path.join(folder, "%s-%d.jsonl" % (tag, n))
        subprocess.run([sys.executable, os.path.join(here, "make_batch.py"), str(per_batch), path, "%s%d" % (tag, n)],
                       check=True)
        key = "%s-%d" % (tag, n)
        while True:
            if time.monotonic() > deadline:
                print("trickle: batch %s was still not accepted at the deadline (%d attempts, %d failed)" % (
                    key, attempts, failures), file=sys.stderr)
                return 1
            attempts += 1
            try:
                run = subprocess.run(
                    [nightdesk, "submit", "--openai-batch", path, "--redis", url, "--json", "--max-attempts", "10",
                     "--idempotency-key", key, "--desk", "trickle"],
                    capture_output=True, timeout=40)
            except subprocess.TimeoutExpired:
                failures += 1
                print("trickle: submit %s timed out after 40 s; repeating it" % key, file=sys.stderr, flush=True)
                continue
            if run.returncode >= 128 or run.returncode < 0:
                crashes += 1
                print("trickle: submit %s died with status %d: %s" % (key, run.returncode, run.stderr.decode()[-400:]),
                      file=sys.stderr, flush=True)
            if run.returncode == 0:
                batch = json.loads(run.stdout)["batch"]
                with open(submissions, "a") as out:
                    out.write("%s\t%s\n" % (batch, path))
                break
            failures += 1
            print("trickle: submit %s failed (%d), repeating it: %s" % (
                key, run.returncode, run.stderr.decode().strip()[-200:]), file=sys.stderr, flush=True)
            time.sleep(0.5)
        time.sleep(interval)
    print("trickle: %d batch(es) accepted; %d submit(s) failed and were repeated" % (batches, failures),
          file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
