#!/usr/bin/env python3
"""fuzz-readers: random and mutated PDF, HTML, Markdown, text, JSON, JSONL, RSS and Atom
files, and .zst dumps (corrupt frames, and valid frames of mutated JSON) through `nightdesk ingest FILE --json` (and `--type` with chunking), each with a time
limit. The seeds are Jobs/samples/ingest; the mutations cut files short, flip and insert
bytes (invalid UTF-8, NUL, quotes, brackets), repeat pieces, nest deeply, and splice the
kinds into each other.

    fuzz_readers.py --nightdesk BIN --inputs N [--budget SECONDS] --seed S --timeout T --root REPO --out DIR

Prints `fuzz-readers: inputs=N crashes=N hangs=N`. Documents (status 0) or reported
errors (status 1) are fine; a crash is a death by signal (status >= 128, a Swift trap,
"Fatal error"), a hang outlives the time limit. Inputs that crashed or hung are kept
under DIR/failures/ with the command. Exit 1 when any crash or hang was found.
"""
import fuzz_common
import os
import random
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time

MEMORY_LIMIT = 8 << 30
EXTENSIONS = {".pdf", ".html", ".md", ".txt", ".jsonl", ".json", ".rss", ".atom"}
JOB_TYPES = {".pdf": "annual-report", ".html": "annual-report", ".md": "contract-risk", ".txt": "annual-report",
             ".jsonl": "news-digest", ".rss": "news-digest", ".atom": "news-digest", ".json": "social-sentiment",
             ".jsonl.zst": "news-digest", ".json.zst": "social-sentiment"}
SPLICES = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\"", b"\\", b"{", b"[", b"]", b"}", b"<", b">", b"&",
           b"&#0;", b"&#x110000;", b"<![CDATA[", b"<!--", b"<script>", b"</", b"\f", b"\r", b"\n\n",
           b"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]>", b"%PDF-1.7", b"endobj", b"stream\n", b"xref\n0 1\n",
           b"trailer << /Root 1 0 R /Size 99999999 >>", b"/Length 99999999", b"1e999", b"-0", b"\"\\ud800\""]


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        folder = os.path.join(args.root, "Jobs/samples/ingest")
        self.seeds = {}
        for name in sorted(os.listdir(folder)):
            ext = os.path.splitext(name)[1]
            if ext in EXTENSIONS:
                with open(os.path.join(folder, name), "rb") as f:
                    self.seeds.setdefault(ext, []).append(f.read())
        # Compressed dumps (Debian's zstd, installed by Ops/setup): the JSON seeds compressed.
        if shutil.which("zstd"):
            for ext in (".jsonl", ".json"):
                self.seeds[ext + ".zst"] = [self.compress(seed) for seed in self.seeds.get(ext, [])]
        self.inputs_dir = os.path.join(args.out, "inputs")
        os.makedirs(self.inputs_dir, exist_ok=True)
        self.crashes = self.hangs = 0
        self.statuses = {}

    def mutated(self, data):
        data = bytearray(data)
        for _ in range(self.rng.choice([1, 1, 2, 3, 8, 32])):
            if not data:
                data += self.rng.choice(SPLICES)
                continue
            at = self.rng.randrange(len(data))
            op = self.rng.randrange(7)
            if op == 0:
                data[at] ^= 1 << self.rng.randrange(8)
            elif op == 1:
                data[at:at] = self.rng.choice(SPLICES)
            elif op == 2:
                del data[at:at + self.rng.randrange(1, 256)]
            elif op == 3:
                del data[at:]  # truncated
            elif op == 4:
                data[at:at] = data[at:at + self.rng.randrange(1, 300)] * self.rng.randrange(2, 60)
            elif op == 5:
                other = self.rng.choice(self.rng.choice(list(self.seeds.values())))
                start = self.rng.randrange(len(other))
                data[at:at] = other[start:start + self.rng.randrange(1, 400)]
            else:
                data[at] = self.rng.randrange(256)
        return bytes(data)

    def nested(self, ext):
        depth = self.rng.choice([50, 70, 200, 5000, 100000])
        if ext in (".json", ".jsonl"):
            post = b'{"text": "x"}'
            for _ in range(min(depth, 3000)):
                post = b'{"text": "r", "replies": [' + post + b']}'
            return (b"[" + post + b"]") if ext == ".json" else post + b"\n"
        if ext in (".rss", ".atom", ".html"):
            return b"<rss><channel><item><title>t</title><description>" + b"<b>" * depth + b"x</description></item></channel></rss>"
        return b"#" * depth + b" title\n\n" + b"text " * depth

    @staticmethod
    def compress(data):
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout

    def make(self, ext):
        if ext.endswith(".zst"):
            # Half corrupt frames, half valid frames around a mutated dump.
            if self.rng.random() < 0.5:
                return self.mutated(self.rng.choice(self.seeds[ext]))
            return self.compress(self.make(ext[:-4]))
        r = self.rng.random()
        if r < 0.05:
            return b""
        if r < 0.12:
            return os.urandom(self.rng.randrange(1, 30000))
        if r < 0.18:
            return self.nested(ext)
        if r < 0.22:
            return self.rng.choice(self.seeds[ext]) * self.rng.randrange(50, 400)  # large but valid-ish
        return self.mutated(self.rng.choice(self.seeds[ext]))

    def run(self, argv, keep):
        command = [self.args.nightdesk] + argv
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)))
        try:
            _, err = process.communicate(timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            self.hangs += 1
            self.keep("hang", keep, command, b"killed after %d s" % self.args.timeout)
            return
        status = process.returncode
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status < 0 or status >= 128 or b"Fatal error" in err or b"Program crashed" in err:
            self.crashes += 1
            self.keep("crash", keep, command, err)

    def keep(self, what, path, command, err):
        folder = os.path.join(self.args.out, "failures", "%s-%s" % (what, os.path.basename(path)))
        os.makedirs(folder, exist_ok=True)
        kept = os.path.join(folder, os.path.basename(path))
        os.replace(path, kept)
        command = [kept if part == path else part for part in command]
        with open(os.path.join(folder, "repro.sh"), "w") as f:
            f.write("#!/bin/sh\n# %s (seed %d)\n%s\n" % (what, self.args.seed, " ".join(shlex.quote(c) for c in command)))
        with open(os.path.join(folder, "stderr.txt"), "wb") as f:
            f.write(err[-20000:])
        print("fuzz-readers: %s: %s" % (what, " ".join(shlex.quote(c) for c in command)), file=sys.stderr)


def main():
    args = fuzz_common.parse_args(uses_redis=False)
    fuzzer = Fuzzer(args)
    kinds = sorted(fuzzer.seeds)
    budget = fuzz_common.Budget("fuzz-readers", args)
    ran = 0
    for n in range(args.inputs):
        if budget.used_up(n):
            break
        ext = kinds[n % len(kinds)]
        path = os.path.join(fuzzer.inputs_dir, "input-%d%s" % (n, ext))
        with open(path, "wb") as f:
            f.write(fuzzer.make(ext))
        argv = ["ingest", path, "--json", "--types-dir", os.path.join(args.root, "Jobs/types")]
        if fuzzer.rng.random() < 0.5:
            argv += ["--type", JOB_TYPES[ext], "--context", str(fuzzer.rng.choice([64, 2000, 100000]))]
        fuzzer.run(argv, path)
        ran += 1
        if os.path.exists(path):
            os.remove(path)
    print("fuzz-readers: exit statuses %s" % dict(sorted(fuzzer.statuses.items())), file=sys.stderr)
    print("fuzz-readers: inputs=%d crashes=%d hangs=%d" % (ran, fuzzer.crashes, fuzzer.hangs), flush=True)
    return 1 if fuzzer.crashes or fuzzer.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
