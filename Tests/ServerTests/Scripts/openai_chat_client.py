"""`client.chat.completions.create` against `nightdesk serve`, plain and streamed, with
the real `openai` client. usage: openai_chat_client.py BASE_URL API_KEY EXPECTED_MODEL
Prints one JSON summary line; exits non-zero with the reason on any mismatch."""
import json
import sys

import openai

base_url, api_key, expected_model = sys.argv[1:4]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)
messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


plain = client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=8, temperature=0)
if plain.model != expected_model:
    fail("answered by %r, expected %r" % (plain.model, expected_model))
text = plain.choices[0].message.content
if not text or plain.choices[0].message.role != "assistant" or plain.usage.completion_tokens < 1:
    fail("plain answer %r" % plain)

streamed = ""
finish = None
chunks = 0
for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=8, temperature=0,
                                            stream=True):
    chunks += 1
    if chunk.model != expected_model:
        fail("chunk from %r" % chunk.model)
    for choice in chunk.choices:
        streamed += choice.delta.content or ""
        finish = choice.finish_reason or finish
if streamed != text or finish not in ("stop", "length"):
    fail("streamed %r (finish %r), plain %r" % (streamed, finish, text))

try:
    client.chat.completions.create(model="m", messages=[], max_tokens=8)
    fail("an empty messages list was accepted")
except openai.BadRequestError as error:
    if "messages" not in str(error):
        fail("the 400 does not name the field: %s" % error)

print(json.dumps({"text": text, "chunks": chunks}))
