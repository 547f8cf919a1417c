#!/usr/bin/env python3
"""Writes an OpenAI Batch API input file of N chat requests, each its own job
(every request has its own system message, so no two share leading messages).

    make_batch.py N FILE [TAG]

custom_ids are TAG-0 ... TAG-(N-1).
"""
import json
import sys

count, path = int(sys.argv[1]), sys.argv[2]
tag = sys.argv[3] if len(sys.argv) > 3 else "r"
with open(path, "w") as out:
    for i in range(count):
        out.write(json.dumps({
            "custom_id": "%s-%d" % (tag, i), "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "echo", "max_tokens": 4, "temperature": 0, "messages": [
                {"role": "system", "content": "Reliability run %s, note %d." % (tag, i)},
                {"role": "user", "content": "Question %d: what does the note say?" % i}]}}) + "\n")
