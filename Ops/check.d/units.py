#!/usr/bin/env python3
"""What systemd-analyze cannot know about Nightdesk's units (Ops/check-deploy):

    units.py WORKER_HELP UNIT...

- every long option the worker's ExecStart passes exists in `nightdesk worker --help`
  (saved in WORKER_HELP);
- the worker stops on SIGTERM, and TimeoutStopSec leaves time beyond its --grace for
  giving jobs back (else systemd SIGKILLs it mid-grace);
- it restarts on failure, and no unit puts a password on a command line or in its
  environment (credentials come from LoadCredential=).
Prints nothing on success; each problem on stderr, exit 1.
"""
import re
import sys

sys.dont_write_bytecode = True


def directives(path):
    """(section, key, value) of a unit file, in order; repeated keys kept."""
    section, out = None, []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def seconds(text):
    """systemd time spans as used here: "90", "90s", "2min"."""
    match = re.fullmatch(r"(\d+)\s*(s|sec|min|m)?", text)
    if not match:
        raise ValueError(f"cannot read the time span '{text}'")
    return int(match.group(1)) * (60 if match.group(2) in ("min", "m") else 1)


def main():
    help_text = open(sys.argv[1], encoding="utf-8").read()
    known = set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))
    problems = []
    for path in sys.argv[2:]:
        name = path.rsplit("/", 1)[-1]
        entries = directives(path)
        service = {key: value for section, key, value in entries if section == "Service"}
        start = service.get("ExecStart", "")
        for section, key, value in entries:
            if re.search(r"(?i)pass(word)?=|://[^@/\s]*:[^@/\s]*@", value) and key != "Environment":
                problems.append(f"{name}: {key}= seems to hold a password: {value}")
            if key == "Environment" and re.search(r"(?i)NIGHTDESK_REDIS_PASSWORD=", value):
                problems.append(f"{name}: the password is in Environment=; use LoadCredential= and NIGHTDESK_REDIS_PASSWORD_FILE")
        if not any(key == "LoadCredential" for _, key, _ in entries):
            problems.append(f"{name}: no LoadCredential= for the Redis password")
        if service.get("Restart") != "on-failure":
            problems.append(f"{name}: Restart={service.get('Restart')}; expected on-failure")
        if service.get("KillSignal", "SIGTERM") != "SIGTERM":
            problems.append(f"{name}: KillSignal={service['KillSignal']}; nightdesk stops gracefully on SIGTERM")
        words = start.split()
        if len(words) >= 2 and words[1] == "worker":
            for option in (w.split("=", 1)[0] for w in words[2:] if w.startswith("--")):
                if option not in known:
                    problems.append(f"{name}: ExecStart passes {option}, which `nightdesk worker --help` does not list")
            grace = 30.0  # the worker's default
            if "--grace" in words:
                grace = float(words[words.index("--grace") + 1])
            stop = seconds(service.get("TimeoutStopSec", "90"))
            if stop <= grace + 10:
                problems.append(f"{name}: TimeoutStopSec={stop}s leaves no time beyond --grace {grace:g}s "
                                "to give jobs back before SIGKILL")
    for problem in problems:
        print(f"check-deploy: units: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
