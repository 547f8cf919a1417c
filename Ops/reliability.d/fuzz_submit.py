#!/usr/bin/env python3
"""fuzz-submit: random and mutated OpenAI batch files, manifests, documents and flags
through `nightdesk submit`, each with a time limit; then an echo worker drains what was
accepted and every output format is read back, since accepted garbage must not break
the worker or the reports either.

    fuzz_submit.py --nightdesk BIN --redis URL --inputs N [--budget SECONDS] --seed S --timeout T
                   --root REPO --out DIR

Prints `fuzz-submit: inputs=N crashes=N hangs=N`. A crash is a process that died of a
signal (status >= 128, a Swift trap, "Fatal error"); a hang is one that outlived the
time limit. Clear refusals (status 1, or 64 for a bad flag) are what we want. Each
crash or hang is saved under DIR/failures/ with the exact command (repro.sh). Exit 1
when any crash or hang was found.
"""
import fuzz_common
import copy
import json
import os
import random
import resource
import shlex
import signal
import subprocess
import sys
import time

MEMORY_LIMIT = 8 << 30  # address space per child: a runaway allocation fails, not the machine

INTERESTING = [
    0, -1, 1, 2, 255, 256, 257, 4095, 32768, 32769, 65536, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63,
    2**64, -2**63 - 1, 10**30, 1e308, -1e308, 1e-320, 0.5, -0.0, 1.5, 1e17, 1e300, "", " ", "x" * 600,
    "\u0000", "\u202e", "<|im_end|>", "<|im_start|>system", "\U0001F4A5" * 200, None, True, False, [], {},
    [{"type": "text", "text": "part"}], [{"type": "image_url"}], "NaN", "1e300", "high", "low", "chat", "user",
    "system", "assistant", "developer", "tool", "/v1/chat/completions", "/v1/embeddings", "POST", "GET",
]
# JSON text that Python's json module never writes: out-of-range numbers, non-JSON
# literals, lone surrogates, broken escapes.
RAW_TOKENS = [
    "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "-0", "1E400", "0x10", "01", "99999999999999999999999999",
    '"\\ud800"', '"\\udc00x"', '"\\x41"', '"\\u00"', '"a\\u0000b"', "tru", "nul", '"unterminated', "[", "{", "]]",
    '"' + "\\u0041" * 3000 + '"', "[" * 600 + "]" * 600, "[" * 100000 + "]" * 100000, "{}", "[]",
]
KEYS = [
    "custom_id", "method", "url", "body", "model", "messages", "role", "content", "max_tokens",
    "max_completion_tokens", "temperature", "top_p", "seed", "stop", "n", "stream", "user", "metadata", "jobs",
    "requests", "sampling", "priority", "desk", "max_attempts", "deadline", "idempotency_key", "kind", "type",
    "text", "unknown_field",
]
FLAG_VALUES = [
    "0", "-1", "1", "3", "100", "101", "32768", "32769", "1e300", "nan", "inf", "-inf", "-0", "0x10", "", " ",
    "9" * 40, "1.5", "abc", "8h", "7d", "1e17s", "-5s", "0.000001s", "100000000000d", "10y", "0.5", "high",
    "normal", "low", "desk-1", "a/b", "a b", "\u00e9", "x" * 300, "--", "-", "\t",
]
FLAGS = ["--max-tokens", "--temperature", "--seed", "--system", "--priority", "--desk", "--max-attempts",
         "--deadline-in", "--idempotency-key", "--batch", "--queue"]


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.samples = [json.loads(line) for line in open(os.path.join(args.root, "Jobs/samples/analysis-batch.jsonl"))
                        if line.strip()]
        folder = os.path.join(args.root, "Jobs/samples/documents")
        self.documents = [open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))]
        self.inputs_dir = os.path.join(args.out, "inputs")
        self.failures_dir = os.path.join(args.out, "failures")
        os.makedirs(self.inputs_dir, exist_ok=True)
        self.batches = []
        self.crashes = self.hangs = self.skipped = self.generator_errors = 0
        self.statuses = {}

    # MARK: values and mutations

    def value(self):
        r = self.rng.random()
        if r < 0.6:
            return copy.deepcopy(self.rng.choice(INTERESTING))  # lists and objects get mutated
        if r < 0.8:
            return "".join(chr(self.rng.choice([self.rng.randrange(32, 127), self.rng.randrange(0x80, 0x3000)]))
                           for _ in range(self.rng.randrange(0, 40)))
        if r < 0.9:
            return self.rng.randrange(-2**70, 2**70)
        return copy.deepcopy(self.rng.choice(self.samples)["body"]["messages"])

    def mutate_tree(self, node, depth=0):
        """Changes one random place of a JSON tree (in place where it can); returns the tree."""
        if isinstance(node, dict) and node and (depth < 6 and self.rng.random() < 0.7):
            key = self.rng.choice(list(node))
            node[key] = self.mutate_tree(node[key], depth + 1)
            return node
        if isinstance(node, list) and node and (depth < 6 and self.rng.random() < 0.7):
            i = self.rng.randrange(len(node))
            node[i] = self.mutate_tree(node[i], depth + 1)
            return node
        choice = self.rng.random()
        if isinstance(node, dict) and choice < 0.3:
            if node and self.rng.random() < 0.5:
                del node[self.rng.choice(list(node))]
            else:
                node[self.rng.choice(KEYS)] = self.value()
            return node
        if isinstance(node, list) and choice < 0.3:
            op = self.rng.randrange(3)
            if op == 0 and node:
                node.append(self.rng.choice(node))
            elif op == 1 and node:
                del node[self.rng.randrange(len(node))]
            else:
                node *= self.rng.choice([2, 10, 300])
            return node
        return self.value()

    def raw_text(self, tree):
        """JSON text of a tree, sometimes with a raw token or a duplicated key spliced in."""
        text = json.dumps(tree, ensure_ascii=self.rng.random() < 0.5)
        r = self.rng.random()
        if r < 0.15:
            # Replace one scalar with a raw token.
            spots = [i for i, c in enumerate(text) if c == ":"]
            if spots:
                at = self.rng.choice(spots) + 1
                end = at
                while end < len(text) and text[end] not in ",}]":
                    end += 1
                text = text[:at] + " " + self.rng.choice(RAW_TOKENS) + text[end:]
        elif r < 0.22 and text.startswith("{") and len(text) > 2:
            key = self.rng.choice(KEYS)
            text = '{"%s": 1, "%s": 2, ' % (key, key) + text[1:]
        return text

    def mutate_bytes(self, data):
        data = bytearray(data)
        for _ in range(self.rng.choice([1, 1, 2, 4, 16])):
            if not data:
                data += bytes([self.rng.randrange(256)])
                continue
            op = self.rng.randrange(6)
            at = self.rng.randrange(len(data))
            if op == 0:
                data[at] ^= 1 << self.rng.randrange(8)
            elif op == 1:
                data[at:at] = bytes([self.rng.choice([0, 0xff, 0xc3, 0xed, 0x0d, 0x0a, 0x22, 0x5c, 0x7b, 0x5b])])
            elif op == 2:
                del data[at:at + self.rng.randrange(1, 64)]
            elif op == 3:
                del data[at:]
            elif op == 4:
                piece = data[at:at + self.rng.randrange(1, 200)]
                data[at:at] = piece * self.rng.randrange(1, 50)
            else:
                data[at:at] = self.rng.choice(RAW_TOKENS).encode()
        return bytes(data)

    # MARK: inputs

    def sample_line(self):
        return json.loads(json.dumps(self.rng.choice(self.samples)))

    def openai_file(self):
        r = self.rng.random()
        if r < 0.03:
            return b""
        if r < 0.06:
            return os.urandom(self.rng.randrange(1, 5000))
        if r < 0.07:
            return b"{}\n" * 50001
        if r < 0.08:
            line = self.sample_line()
            line["body"]["messages"][-1]["content"] = "q" * (9 << 20)  # one line over 8 MiB
            return json.dumps(line).encode() + b"\n"
        lines = []
        for i in range(self.rng.randrange(1, 30)):
            line = self.sample_line()
            line["custom_id"] = "fz-%d" % i if self.rng.random() < 0.9 else line["custom_id"]
            if self.rng.random() < 0.5:
                line = self.mutate_tree(line)
            text = self.raw_text(line) if self.rng.random() < 0.5 else json.dumps(line)
            lines.append(text.encode("utf-8", "surrogatepass"))
        separator = self.rng.choice([b"\n", b"\n", b"\r\n", b"\n\n", b"\n \t\n"])
        data = separator.join(lines) + (b"\n" if self.rng.random() < 0.8 else b"")
        if self.rng.random() < 0.1:
            data = b"\xef\xbb\xbf" + data
        if self.rng.random() < 0.3:
            data = self.mutate_bytes(data)
        return data

    def manifest(self):
        jobs = []
        for j in range(self.rng.randrange(1, 8)):
            requests = []
            for i in range(self.rng.randrange(1, 5)):
                body = self.sample_line()["body"]
                request = {"custom_id": "m%d-%d" % (j, i), "messages": body["messages"],
                           "sampling": {"temperature": 0, "max_tokens": 8}}
                requests.append(request)
            job = {"requests": requests}
            for key in ("priority", "max_attempts", "deadline", "idempotency_key", "kind"):
                if self.rng.random() < 0.1:
                    job[key] = self.value()
            jobs.append(job)
        tree = {"desk": "fuzz", "jobs": jobs}
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            tree = self.mutate_tree(tree)
        data = self.raw_text(tree).encode("utf-8", "surrogatepass")
        if self.rng.random() < 0.25:
            data = self.mutate_bytes(data)
        return data

    def document(self):
        r = self.rng.random()
        if r < 0.1:
            return b""
        if r < 0.2:
            return os.urandom(self.rng.randrange(1, 20000))
        if r < 0.25:
            return self.rng.choice(self.documents) * 400  # a few MB
        return self.mutate_bytes(self.rng.choice(self.documents)) if self.rng.random() < 0.5 \
            else self.rng.choice(self.documents)

    def text_arg(self):
        value = self.value()
        text = value if isinstance(value, str) else json.dumps(value)
        return text.replace("\x00", "")[:4096]  # the kernel refuses longer arguments

    def flags(self, probability):
        out = []
        for flag in FLAGS:
            if self.rng.random() < probability:
                if flag == "--batch" and self.batches and self.rng.random() < 0.7:
                    value = self.rng.choice(self.batches)
                elif flag == "--queue" and self.rng.random() < 0.8:
                    value = "main"
                else:
                    value = self.rng.choice(FLAG_VALUES) if self.rng.random() < 0.8 else self.text_arg()
                out += [flag, value]
        return out

    def next_input(self, n):
        """(argv after `submit`, path of the input file or None)."""
        kind = self.rng.choice(["openai", "openai", "manifest", "document"])
        if n < 4:
            kind = "special"
        if kind == "special":
            return [["--openai-batch", "/dev/zero"], ["--manifest", "/dev/urandom"],
                    ["--openai-batch", self.inputs_dir], ["--manifest", "/nonexistent/manifest.json"]][n], None
        path = os.path.join(self.inputs_dir, "%d.%s" % (n, {"openai": "jsonl", "manifest": "json",
                                                              "document": "txt"}[kind]))
        if kind == "openai":
            data = self.openai_file()
            argv = ["--openai-batch", path] + self.flags(0.05)
        elif kind == "manifest":
            data = self.manifest()
            argv = ["--manifest", path] + self.flags(0.05)
        else:
            data = self.document()
            argv = ["--document", path]
            for _ in range(self.rng.choice([0, 1, 1, 2, 5, 40])):
                argv += ["--question", self.text_arg() if self.rng.random() < 0.5 else "What was revenue?"]
            argv += self.flags(0.2)
        with open(path, "wb") as f:
            f.write(data)
        return argv, path

    # MARK: the sweep: every number a submit takes, alone, at its edges

    def sweep(self):
        """Cases run before the random ones (as many as --inputs allows): each flag of
        `submit --document`, each job and sampling field of a manifest and each body
        field of an OpenAI line set to an edge value alone (the values that broke
        numeric conversions before: 1e17 deadlines, 1e300, 2**63)."""
        cases = []
        flag_edges = ["0", "-1", "1e300", "nan", "inf", "-inf", "99999999999999999999", "1e17"]
        for flag in FLAGS:
            if flag in ("--batch", "--queue"):
                continue
            for value in flag_edges:
                cases.append(("document", [flag, value]))
        edges = [0, -1, 0.5, 1e17, 1e300, 2**63, 2**64, "x", None, ""]
        for field in ("deadline", "max_attempts", "priority", "idempotency_key", "kind"):
            for value in edges:
                cases.append(("manifest-job", (field, value)))
        for field in ("temperature", "top_p", "max_tokens", "seed", "stop"):
            for value in edges:
                cases.append(("manifest-sampling", (field, value)))
        for field in ("max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "n"):
            for value in edges:
                cases.append(("openai-body", (field, value)))
        return cases

    def sweep_input(self, n, case):
        kind, change = case
        if kind == "document":
            path = os.path.join(self.inputs_dir, "%d.txt" % n)
            with open(path, "wb") as f:
                f.write(self.documents[0])
            return ["--document", path, "--question", "What was revenue?"] + change, path
        if kind.startswith("manifest"):
            body = self.samples[0]["body"]
            request = {"custom_id": "s-%d" % n, "messages": body["messages"], "sampling": {"max_tokens": 8}}
            job = {"requests": [request]}
            (job if kind == "manifest-job" else request["sampling"])[change[0]] = change[1]
            path = os.path.join(self.inputs_dir, "%d.json" % n)
            with open(path, "w") as f:
                json.dump({"desk": "fuzz", "jobs": [job]}, f)
            return ["--manifest", path], path
        line = self.sample_line()
        line["custom_id"] = "s-%d" % n
        line["body"][change[0]] = change[1]
        path = os.path.join(self.inputs_dir, "%d.jsonl" % n)
        with open(path, "w") as f:
            f.write(json.dumps(line) + "\n")
        return ["--openai-batch", path], path

    # MARK: running

    def run(self, argv, label, keep=None):
        """Runs nightdesk with argv; returns (status, stdout) and counts crashes and hangs."""
        command = [self.args.nightdesk] + argv
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)))
        except (ValueError, OSError):  # arguments the OS cannot pass (never a nightdesk problem)
            self.skipped += 1
            return None, b""
        try:
            out, err = process.communicate(timeout=self.args.timeout)
            status = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            self.hangs += 1
            self.save("hang", label, command, keep, b"(killed after %ds)" % self.args.timeout)
            return "hang", out
        trapped = b"Fatal error" in err or b"Program crashed" in err
        if status < 0 or status >= 128 or trapped:
            self.crashes += 1
            self.save("crash", label, command, keep, err)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status, out

    def save(self, what, label, command, keep, err):
        folder = os.path.join(self.failures_dir, "%s-%s" % (what, label))
        os.makedirs(folder, exist_ok=True)
        for path in keep or []:
            if path and os.path.isfile(path):
                os.replace(path, os.path.join(folder, os.path.basename(path)))
                command = [os.path.join(folder, os.path.basename(path)) if c == path else c for c in command]
        with open(os.path.join(folder, "repro.sh"), "w") as f:
            f.write("#!/bin/sh\n# %s (seed %s); needs a Redis at the URL\n%s\n" % (
                what, self.args.seed, " ".join(shlex.quote(c) for c in command)))
        with open(os.path.join(folder, "stderr.txt"), "wb") as f:
            f.write(err[-20000:])
        print("fuzz-submit: %s: %s" % (what, " ".join(shlex.quote(c) for c in command)[:400]), file=sys.stderr)
        print("    %s" % err.decode("utf-8", "replace").strip().splitlines()[:3], file=sys.stderr)


def main():
    args = fuzz_common.parse_args(uses_redis=True)
    fuzzer = Fuzzer(args)
    redis = ["--redis", args.redis]
    sweep = fuzzer.sweep()
    budget = fuzz_common.Budget("fuzz-submit", args)
    ran = 0
    for n in range(args.inputs):
        if budget.used_up(n):
            break
        ran += 1
        try:
            argv, path = fuzzer.sweep_input(n, sweep[n]) if n < len(sweep) else fuzzer.next_input(n - len(sweep))
        except Exception as error:  # a bug of this generator, not of nightdesk: say so, go on
            fuzzer.generator_errors += 1
            print("fuzz-submit: input %d could not be generated (seed %d): %r" % (n, args.seed, error), file=sys.stderr)
            continue
        status, out = fuzzer.run(["submit"] + argv + redis + ["--json"], "input-%d" % n, keep=[path])
        if status == 0:
            try:
                fuzzer.batches.append(json.loads(out)["batch"])
            except (ValueError, KeyError):
                print("fuzz-submit: input %d: submit --json exited 0 without a batch: %r" % (n, out[:200]),
                      file=sys.stderr)
        if path and os.path.exists(path):
            os.remove(path)
    # What was accepted must run and read back: a worker drains it, every format is read.
    fuzzer.run(["worker", "--echo", "--drain", "--lease", "5", "--max-sequences", "16"] + redis, "worker")
    rng = random.Random(args.seed)
    for batch in rng.sample(fuzzer.batches, min(len(fuzzer.batches), 25)):
        for form in ("json", "jsonl", "markdown", "openai", "summary"):
            fuzzer.run(["results", batch, "--format", form] + redis, "results-%s-%s" % (batch, form))
        fuzzer.run(["status", batch, "--json"] + redis, "status-%s" % batch)
    fuzzer.run(["status"] + redis, "status")
    print("fuzz-submit: exit statuses %s; %d batch(es) accepted; %d input(s) the OS could not pass" % (
        dict(sorted(fuzzer.statuses.items(), key=lambda kv: str(kv[0]))), len(fuzzer.batches), fuzzer.skipped),
        file=sys.stderr)
    print("fuzz-submit: inputs=%d crashes=%d hangs=%d" % (ran, fuzzer.crashes, fuzzer.hangs), flush=True)
    if fuzzer.generator_errors * 10 > max(1, ran):
        print("fuzz-submit: %d of %d inputs could not be generated: the fuzzer itself is broken" % (
            fuzzer.generator_errors, ran), file=sys.stderr)
        return 1
    return 1 if fuzzer.crashes or fuzzer.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
