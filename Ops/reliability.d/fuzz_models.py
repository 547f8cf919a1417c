#!/usr/bin/env python3
"""fuzz-models: mutated GGUF files and Hugging Face folders (model.safetensors and
config.json) through `nightdesk generate --prompt-ids 1,2 --max-tokens 1 --json`, each
with a time limit. The mutations know the formats: they hit counts, lengths, type ids,
dimensions and offsets with absurd values, truncate at field boundaries, and flip bytes
in headers and data.

    fuzz_models.py --nightdesk BIN --inputs N [--budget SECONDS] --seed S --timeout T --root REPO --out DIR

Prints `fuzz-models: inputs=N crashes=N hangs=N`. A clear refusal (status 1) or a
generation (0) is fine; a crash is a death by signal (status >= 128, a Swift trap,
"Fatal error"), a hang outlives the time limit. Crashing inputs are kept under
DIR/failures/ (the first few; the mutation is always described in the log) with the
exact command. Exit 1 when any crash or hang was found.
"""
import fuzz_common
import json
import os
import random
import resource
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time

MEMORY_LIMIT = 16 << 30  # address space per child: a runaway allocation fails, not the machine
KEEP_FILES = 4           # crashing model files kept (16-20 MB each)

U64 = [0, 1, 2, 3, 7, 8, 31, 32, 33, 255, 4096, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40,
       2**62, 2**63 - 1, 2**63, 2**64 - 32, 2**64 - 1]
U32 = [0, 1, 2, 3, 5, 7, 8, 9, 12, 13, 14, 15, 16, 24, 30, 31, 63, 64, 100, 255, 65535, 2**31 - 1, 2**31,
       2**32 - 1]
F32 = [0.0, -0.0, 1.0, -1.0, 1e-45, 1e38, 3.4e38, float("inf"), float("-inf"), float("nan")]
GGUF_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q", 11: "<q",
               12: "<d"}


class GGUF:
    """The fixture's layout: every field's offset, width and meaning."""

    def __init__(self, data):
        self.data = data
        self.fields = []  # (offset, width, kind, label)
        o = 4
        self.field(o, 4, "version", "version"); o += 4
        self.field(o, 8, "count", "tensor count"); n_tensors = struct.unpack_from("<Q", data, o)[0]; o += 8
        self.field(o, 8, "count", "kv count"); n_kv = struct.unpack_from("<Q", data, o)[0]; o += 8
        for _ in range(n_kv):
            key, o = self.string(o, "key length")
            self.field(o, 4, "type", "type of " + key)
            kind = struct.unpack_from("<I", data, o)[0]; o += 4
            o = self.value(o, kind, key)
        self.infos_start = o
        for _ in range(n_tensors):
            name, o = self.string(o, "tensor name length")
            self.field(o, 4, "ndims", "ndims of " + name); ndims = struct.unpack_from("<I", data, o)[0]; o += 4
            for d in range(ndims):
                self.field(o, 8, "dim", "dim %d of %s" % (d, name)); o += 8
            self.field(o, 4, "ggml type", "type of " + name); o += 4
            self.field(o, 8, "offset", "offset of " + name); o += 8
        self.infos_end = o

    def field(self, offset, width, kind, label):
        self.fields.append((offset, width, kind, label))

    def string(self, o, label):
        n = struct.unpack_from("<Q", self.data, o)[0]
        text = self.data[o + 8:o + 8 + n].decode("utf-8", "replace")
        if n < 200:  # the tokenizer's 300k strings are sampled through their array instead
            self.field(o, 8, "length", "%s (%s)" % (label, text[:40]))
        return text, o + 8 + n

    def value(self, o, kind, key):
        if kind == 8:
            self.field(o, 8, "length", "string length of " + key)
            return o + 8 + struct.unpack_from("<Q", self.data, o)[0]
        if kind == 9:
            self.field(o, 4, "type", "element type of " + key)
            element, n = struct.unpack_from("<IQ", self.data, o)
            self.field(o + 4, 8, "count", "element count of " + key)
            o += 12
            if element == 8:
                for i in range(n):
                    if i < 3 or i == n - 1:
                        self.field(o, 8, "length", "string %d of %s" % (i, key))
                    o += 8 + struct.unpack_from("<Q", self.data, o)[0]
                return o
            return o + n * struct.calcsize(GGUF_SCALAR[element])
        width = struct.calcsize(GGUF_SCALAR[kind])
        self.field(o, width, "scalar %d" % kind, "value of " + key)
        return o + width


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        fixtures = os.path.join(args.root, "Tests/Fixtures/qwen3-tiny")
        self.fixtures = fixtures
        self.gguf = open(os.path.join(fixtures, "qwen3-tiny-Q8_0.gguf"), "rb").read()
        self.layout = GGUF(self.gguf)
        self.safetensors = open(os.path.join(fixtures, "model.safetensors"), "rb").read()
        self.config = json.load(open(os.path.join(fixtures, "config.json")))
        self.work = os.path.join(args.out, "work")
        self.failures = os.path.join(args.out, "failures")
        os.makedirs(self.work, exist_ok=True)
        self.crashes = self.hangs = self.kept = 0
        self.statuses = {}

    # MARK: GGUF

    def mutate_gguf(self):
        data = bytearray(self.gguf)
        notes = []
        for _ in range(self.rng.choice([1, 1, 1, 2, 3])):
            r = self.rng.random()
            if r < 0.55:
                offset, width, kind, label = self.rng.choice(self.layout.fields)
                if offset + width > len(data):  # cut off by an earlier truncation
                    continue
                if width == 8:
                    value = self.rng.choice(U64 + [len(data), len(data) + 1, struct.unpack_from("<Q", data, offset)[0] + 1])
                    struct.pack_into("<Q", data, offset, value)
                elif kind == "scalar 6":
                    value = self.rng.choice(F32)
                    struct.pack_into("<f", data, offset, value)
                elif width == 4:
                    value = self.rng.choice(U32)
                    struct.pack_into("<I", data, offset, value)
                else:
                    value = self.rng.randrange(256 ** width)
                    data[offset:offset + width] = value.to_bytes(width, "little")
                notes.append("%s := %r" % (label, value))
            elif r < 0.75:
                offset = self.rng.choice(self.layout.fields)[0] + self.rng.choice([0, 1, 4, 8])
                if self.rng.random() < 0.3:
                    offset = self.rng.randrange(max(1, len(data)))
                del data[offset:]
                notes.append("truncated at %d" % offset)
            else:
                region = self.rng.choice(["header", "infos", "data"])
                low, high = {"header": (0, 4096), "infos": (self.layout.infos_start, self.layout.infos_end),
                             "data": (self.layout.infos_end, len(self.gguf))}[region]
                high = min(high, len(data))
                if high <= low:
                    continue
                flips = self.rng.choice([1, 4, 64])
                for _ in range(flips):
                    at = self.rng.randrange(low, high)
                    data[at] ^= 1 << self.rng.randrange(8)
                notes.append("%d bit flips in the %s" % (flips, region))
        path = os.path.join(self.work, "model.gguf")
        with open(path, "wb") as f:
            f.write(data)
        return path, "; ".join(notes)

    # MARK: safetensors and config.json

    def mutate_safetensors(self):
        data = bytearray(self.safetensors)
        n = struct.unpack_from("<Q", data, 0)[0]
        header = json.loads(data[8:8 + n])
        notes = []
        r = self.rng.random()
        if r < 0.5:
            names = [k for k in header if k != "__metadata__"]
            name = self.rng.choice(names)
            entry = header[name]
            what = self.rng.randrange(7)
            if what == 0:
                entry["dtype"] = self.rng.choice(["F32", "F16", "BF16", "F64", "I8", "U8", "I64", "BOOL", "F8_E4M3",
                                                  "XX", "", 7, None])
            elif what == 1:
                shape = list(entry["shape"])
                op = self.rng.randrange(5)
                if op == 0:
                    shape.append(self.rng.choice([1, 2, 0]))
                elif op == 1 and shape:
                    shape.pop()
                else:
                    shape[self.rng.randrange(len(shape))] = self.rng.choice([0, 1, -1, 2**31, 2**40, 2**63 - 1,
                                                                              2**64, 1.5, "x", None])
                entry["shape"] = shape
            elif what == 2:
                a, b = entry["data_offsets"]
                entry["data_offsets"] = self.rng.choice([[b, a], [a, b + 2], [a, a], [a + 1, b], [0, 2**63],
                                                          [2**64 - 1, 2**64 - 1], [-1, b], [a], [a, b, 0], "x"])
            elif what == 3:
                del header[name]
            elif what == 4:
                header[name + ".renamed"] = header.pop(name)
            elif what == 5:
                header[name] = self.rng.choice([None, [], "x", 0, {}])
            else:
                header["__metadata__"] = self.rng.choice([None, [], {"format": 7}, "x", {"format": "tf"}])
            notes.append("tensor %s: change %d" % (name, what))
            text = json.dumps(header).encode()
            if self.rng.random() < 0.2:
                text = text.replace(b'"dtype"', b'"dtype": "F32", "dtype"', 1)
                notes.append("duplicate key")
            pad = (-len(text)) % 8
            data = bytearray(struct.pack("<Q", len(text) + pad)) + text + b" " * pad + data[8 + n:]
        elif r < 0.7:
            value = self.rng.choice([0, 1, 2, 7, n - 1, n + 1, len(data), len(data) - 7, 2**32, 2**63, 2**64 - 1])
            struct.pack_into("<Q", data, 0, value)
            notes.append("header length := %d" % value)
        elif r < 0.85:
            at = self.rng.choice([self.rng.randrange(8 + n), 8 + n + self.rng.randrange(len(data) - 8 - n), 4, 8 + n])
            del data[at:]
            notes.append("truncated at %d" % at)
        else:
            for _ in range(self.rng.choice([1, 8, 64])):
                at = self.rng.randrange(8, 8 + n)
                data[at] ^= 1 << self.rng.randrange(8)
            notes.append("bit flips in the JSON header")
        return bytes(data), "; ".join(notes)

    def mutate_config(self):
        config = json.loads(json.dumps(self.config))
        notes = []
        for _ in range(self.rng.choice([1, 1, 2])):
            key = self.rng.choice(list(config) + ["head_dim", "rope_scaling", "num_key_value_heads"])
            value = self.rng.choice([0, -1, 1, 3, 7, 2**31, 2**40, 2**63, 1e308, 0.5, float("nan"), None, "x", [],
                                     {}, True, {"rope_type": "yarn", "factor": 0.0},
                                     {"rope_type": "yarn", "factor": 1e30, "original_max_position_embeddings": 0},
                                     {"rope_type": "linear", "factor": -1}, ["LlamaForCausalLM"], "llama", "qwen2"])
            if self.rng.random() < 0.15 and key in config:
                del config[key]
                notes.append("config: removed %s" % key)
            else:
                config[key] = value
                notes.append("config: %s := %r" % (key, value))
        return json.dumps(config, allow_nan=True).encode(), "; ".join(notes)

    def folder(self):
        path = os.path.join(self.work, "hf")
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            os.symlink(os.path.join(self.fixtures, name), os.path.join(path, name))
        notes = []
        weights, config = self.safetensors, json.dumps(self.config).encode()
        r = self.rng.random()
        if r < 0.6:
            weights, note = self.mutate_safetensors(); notes.append(note)
        if r > 0.4:
            config, note = self.mutate_config(); notes.append(note)
        with open(os.path.join(path, "model.safetensors"), "wb") as f:
            f.write(weights)
        with open(os.path.join(path, "config.json"), "wb") as f:
            f.write(config)
        return path, "; ".join(notes)

    # MARK: the sweep: every hyper-parameter and count alone, at its edges

    def sweep(self):
        """Cases run before the random ones (as many as --inputs allows): each GGUF
        metadata number, count and the first tensors' fields set to an edge value
        alone, then each config.json number, then the safetensors header length."""
        cases = []
        edges = {4: [0, 2**31 - 1, 2**32 - 1], 8: [0, 2**63 - 1, 2**64 - 1]}
        first_tensors = 0
        for offset, width, kind, label in self.layout.fields:
            if kind.startswith("scalar 6"):
                values = [float("nan"), float("inf"), 0.0]
            elif kind.startswith("scalar 4") or kind in ("count", "version"):
                values = edges[width]
            elif kind in ("dim", "ggml type", "offset", "ndims") and first_tensors < 8:
                first_tensors += 1
                values = edges[width][1:]
            else:
                continue
            for value in values:
                cases.append(lambda o=offset, w=width, k=kind, l=label, v=value: self.gguf_with(o, w, k, l, v))
        for key, value in self.config.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                for edge in (0, -1, 2**31 - 1, 2**40):
                    cases.append(lambda k=key, e=edge: self.folder_with(config_change=(k, e)))
        for length in (0, 2**64 - 1, len(self.safetensors)):
            cases.append(lambda n=length: self.folder_with(header_length=n))
        return cases

    def gguf_with(self, offset, width, kind, label, value):
        data = bytearray(self.gguf)
        struct.pack_into({4: "<f" if kind == "scalar 6" else "<I", 8: "<Q"}[width], data, offset, value)
        path = os.path.join(self.work, "model.gguf")
        with open(path, "wb") as f:
            f.write(data)
        return path, "%s := %r" % (label, value)

    def folder_with(self, config_change=None, header_length=None):
        path = os.path.join(self.work, "hf")
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            os.symlink(os.path.join(self.fixtures, name), os.path.join(path, name))
        config = json.loads(json.dumps(self.config))
        weights = self.safetensors
        note = ""
        if config_change:
            config[config_change[0]] = config_change[1]
            note = "config: %s := %r" % config_change
        if header_length is not None:
            weights = struct.pack("<Q", header_length) + self.safetensors[8:]
            note = "safetensors header length := %d" % header_length
        if header_length is None:
            os.symlink(os.path.join(self.fixtures, "model.safetensors"), os.path.join(path, "model.safetensors"))
        else:
            with open(os.path.join(path, "model.safetensors"), "wb") as f:
                f.write(weights)
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f)
        return path, note

    # MARK: running

    def run(self, n, model, note):
        command = [self.args.nightdesk, "generate", "--model", model, "--prompt-ids", "1,2", "--max-tokens", "1",
                   "--json"]
        env = dict(os.environ, NIGHTDESK_THREADS="1")
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)))
        try:
            _, err = process.communicate(timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, err = process.communicate()
            self.hangs += 1
            self.save("hang", n, model, command, note, b"(killed after %ds)" % self.args.timeout)
            return
        status = process.returncode
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status < 0 or status >= 128 or b"Fatal error" in err or b"Program crashed" in err:
            self.crashes += 1
            self.save("crash", n, model, command, note, err)

    def save(self, what, n, model, command, note, err):
        folder = os.path.join(self.failures, "%s-%d" % (what, n))
        os.makedirs(folder, exist_ok=True)
        if self.kept < KEEP_FILES:
            self.kept += 1
            target = os.path.join(folder, os.path.basename(model))
            if os.path.isdir(model):
                shutil.copytree(model, target, symlinks=True)
            else:
                shutil.copy(model, target)
            command = [target if c == model else c for c in command]
        with open(os.path.join(folder, "repro.sh"), "w") as f:
            f.write("#!/bin/sh\n# %s (seed %s, input %d): %s\n%s\n" % (
                what, self.args.seed, n, note, " ".join(shlex.quote(c) for c in command)))
        with open(os.path.join(folder, "stderr.txt"), "wb") as f:
            f.write(err[-20000:])
        first = err.decode("utf-8", "replace").strip().splitlines()[:2]
        print("fuzz-models: %s on input %d (%s): %s" % (what, n, note, first), file=sys.stderr)


def main():
    args = fuzz_common.parse_args(uses_redis=False)
    fuzzer = Fuzzer(args)
    budget = fuzz_common.Budget("fuzz-models", args)
    sweep = fuzzer.sweep()
    ran = generator_errors = 0
    for n in range(args.inputs):
        if budget.used_up(n):
            break
        ran += 1
        try:
            if n < len(sweep):
                model, note = sweep[n]()
            elif fuzzer.rng.random() < 0.5:
                model, note = fuzzer.mutate_gguf()
            else:
                model, note = fuzzer.folder()
        except Exception as error:  # a bug of this generator, not of nightdesk: say so, go on
            generator_errors += 1
            print("fuzz-models: input %d could not be generated (seed %d): %r" % (n, args.seed, error), file=sys.stderr)
            continue
        fuzzer.run(n, model, note)
    shutil.rmtree(fuzzer.work, ignore_errors=True)
    print("fuzz-models: exit statuses %s in %.0f s" % (
        dict(sorted(fuzzer.statuses.items())), budget.elapsed()), file=sys.stderr)
    print("fuzz-models: inputs=%d crashes=%d hangs=%d" % (ran, fuzzer.crashes, fuzzer.hangs), flush=True)
    if generator_errors * 10 > max(1, ran):
        print("fuzz-models: %d of %d inputs could not be generated: the fuzzer itself is broken" % (
            generator_errors, ran), file=sys.stderr)
        return 1
    return 1 if fuzzer.crashes or fuzzer.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
