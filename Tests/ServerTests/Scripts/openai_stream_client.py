"""One streamed `client.chat.completions.create(stream=True)` against `nightdesk serve`,
with the real `openai` client. usage: openai_stream_client.py BASE_URL QUESTION MAX_TOKENS
Prints one JSON line: each chunk's arrival (Unix time) and pieces, the finish reason and
the usage chunk; exits non-zero with the reason when a chunk breaks OpenAI's shape."""
import json
import sys
import time

import openai

base_url, question, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=600)


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


chunks = []
finish = None
usage = None
ids = set()
role_first = None
stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}],
                                        max_tokens=max_tokens, temperature=0, stream=True,
                                        stream_options={"include_usage": True})
for chunk in stream:
    if chunk.object != "chat.completion.chunk":
        fail("a chunk of type %r" % chunk.object)
    ids.add(chunk.id)
    if chunk.usage is not None:
        usage = {"prompt_tokens": chunk.usage.prompt_tokens, "completion_tokens": chunk.usage.completion_tokens}
        if chunk.choices:
            fail("the usage chunk has choices: %r" % chunk)
        continue
    if len(chunk.choices) != 1:
        fail("a chunk with %d choices" % len(chunk.choices))
    choice = chunk.choices[0]
    if role_first is None:
        role_first = choice.delta.role == "assistant"
    elif choice.delta.role is not None:
        fail("a second role: %r" % chunk)
    if choice.finish_reason is not None:
        if finish is not None:
            fail("two finish reasons")
        finish = choice.finish_reason
    elif finish is not None:
        fail("a chunk after the finish reason: %r" % chunk)
    if choice.delta.content:
        chunks.append({"at": time.time(), "content": choice.delta.content, "model": chunk.model})

if not role_first:
    fail("the first chunk does not carry the role")
if len(ids) != 1:
    fail("chunk ids differ: %r" % ids)
print(json.dumps({"id": ids.pop(), "chunks": chunks, "finish": finish, "usage": usage}))
