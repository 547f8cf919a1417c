"""A desk's batch script, run by ServerTests against `nightdesk serve` with the real
`openai` client: upload, create, poll, download the output and error files, check them.

usage: openai_batch_client.py BASE_URL API_KEY INPUT.jsonl WINDOW EXPECT.json

EXPECT holds what the run must show: "status", "completed", "failed", "error_lines"
(line numbers refused at validation), "model" (the model that answered),
"error_code" (the code of every line of the error file, or null for no error file).
Prints one JSON summary line; exits non-zero with the reason on any mismatch.
"""
import json
import os
import sys
import time

import openai


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


base_url, api_key, input_path, window, expect_path = sys.argv[1:6]
with open(expect_path) as handle:
    expect = json.load(handle)
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)

with open(input_path, "rb") as handle:
    uploaded = client.files.create(file=handle, purpose="batch")
check(uploaded.purpose == "batch", "uploaded purpose %r" % uploaded.purpose)
check(uploaded.bytes == os.path.getsize(input_path), "uploaded bytes %r" % uploaded.bytes)
check(client.files.retrieve(uploaded.id).id == uploaded.id, "file not found again")
check(client.files.content(uploaded.id).content == open(input_path, "rb").read(), "file content differs")

batch = client.batches.create(
    input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window=window,
    metadata={"run": "server-tests"})
check(batch.status in ("validating", "in_progress", "failed"), "created with status %r" % batch.status)
check(batch.metadata == {"run": "server-tests"}, "metadata %r" % batch.metadata)
statuses = [batch.status]
deadline = time.time() + float(expect.get("timeout", 300))
while batch.status not in ("completed", "failed", "expired", "cancelled"):
    check(time.time() < deadline, "batch still %r after the timeout" % batch.status)
    time.sleep(0.2)
    batch = client.batches.retrieve(batch.id)
    if batch.status != statuses[-1]:
        statuses.append(batch.status)

check(batch.status == expect["status"], "ended %r (went through %r), expected %r" % (batch.status, statuses, expect["status"]))
counts = batch.request_counts
check(counts.completed == expect["completed"] and counts.failed == expect["failed"],
      "request_counts %r, expected completed %r failed %r" % (counts, expect["completed"], expect["failed"]))
check(counts.total >= counts.completed + counts.failed, "total %r below completed + failed" % counts.total)
error_lines = [error.line for error in (batch.errors.data if batch.errors else [])]
check(error_lines == expect["error_lines"], "validation errors on lines %r, expected %r" % (error_lines, expect["error_lines"]))
check(batch.created_at and batch.in_progress_at and batch.expires_at, "stage timestamps missing: %r" % batch)
stamp = {"completed": batch.completed_at, "expired": batch.expired_at, "cancelled": batch.cancelled_at}[batch.status]
check(stamp is not None and batch.finalizing_at is not None, "final timestamps missing: %r" % batch)

output = []
if batch.output_file_id:
    output = [json.loads(line) for line in client.files.content(batch.output_file_id).text.splitlines()]
check(len(output) == expect["completed"], "%d output lines, expected %d" % (len(output), expect["completed"]))
for line in output:
    body = line["response"]["body"]
    check(line["error"] is None and line["response"]["status_code"] == 200, "output line %r" % line)
    check(body["model"] == expect["model"], "answered by %r, expected %r" % (body["model"], expect["model"]))
    check(body["choices"][0]["message"]["content"], "empty answer in %r" % line)

errors = []
if batch.error_file_id:
    errors = [json.loads(line) for line in client.files.content(batch.error_file_id).text.splitlines()]
if expect["error_code"] is None:
    check(batch.error_file_id is None, "an error file when none was expected")
else:
    check(errors, "no error file lines")
    for line in errors:
        check(line["response"] is None and line["error"]["code"] == expect["error_code"], "error line %r" % line)
custom_ids = sorted(line["custom_id"] for line in output + errors)
check(len(custom_ids) == len(set(custom_ids)), "a custom_id twice: %r" % custom_ids)

listed = [item.id for item in client.batches.list(limit=100)]
check(batch.id in listed, "batch %s not listed in %r" % (batch.id, listed))
print(json.dumps({"batch": batch.id, "statuses": statuses, "custom_ids": custom_ids,
                  "models": sorted({line["response"]["body"]["model"] for line in output})}))
