"""Checks Ops/Containerfile without a container engine: parsed by Docker's own parser
(PyPI's `dockerfile`), it must build in one stage and run in a Debian 12 stage as a user
without privileges, and the runtime stage must install the Debian package of every
library the built binary links (ldd, dpkg -S), less those every Debian image has.

    containerfile.py CONTAINERFILE NIGHTDESK_BINARY
"""
import subprocess
import sys

import dockerfile

# In debian:bookworm-slim already (Essential, or needed by apt itself).
BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "liblzma5"}

problems = []


def problem(text):
    problems.append(text)


def stages(commands):
    found = []
    for command in commands:
        if command.cmd == "FROM":
            found.append({"image": command.value[0], "name": command.value[-1] if len(command.value) == 3 else "",
                          "commands": []})
        elif found:
            found[-1]["commands"].append(command)
    return found


def installed(stage):
    """Packages the stage's `apt-get install` lines name."""
    names = set()
    for command in stage["commands"]:
        if command.cmd != "RUN":
            continue
        words = " ".join(command.value).replace("\\\n", " ").split()
        for index, word in enumerate(words):
            if word == "install" and index > 0 and words[index - 1] == "apt-get":
                for name in words[index + 1:]:
                    if name in ("&&", ";", "|"):
                        break
                    if not name.startswith("-"):
                        names.add(name)
    return names


def package_of(path):
    # Debian 12 merges /lib into /usr/lib: dpkg knows the file under either name.
    for candidate in (path, "/usr" + path if path.startswith("/lib") else path):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0]
    return None


def depends(package):
    result = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True, text=True)
    return {part.strip().split(" ")[0].split(":")[0] for part in result.stdout.replace("|", ",").split(",") if part.strip()}


def linked_packages(binary):
    """Debian packages of the libraries the binary links (the Swift toolchain's own are
    linked statically in the image's release build)."""
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    packages = {}
    for line in output.splitlines():
        parts = line.split("=>")
        if len(parts) != 2 or not parts[1].strip().startswith("/"):
            continue
        path = parts[1].split("(")[0].strip()
        if "/swift/" in path:
            continue
        package = package_of(path)
        if package is None:
            problem(f"{binary} links {path}, which no Debian package holds")
        else:
            packages[package] = path
    return packages


def main(path, binary):
    with open(path) as handle:
        commands = dockerfile.parse_string(handle.read())
    found = stages(commands)
    if len(found) < 2:
        problem(f"{path}: {len(found)} stage(s); build and runtime must be apart (multi-stage)")
        return
    build, runtime = found[0], found[-1]
    if "bookworm" not in build["image"]:
        problem(f"{path}: the build stage is {build['image']}, not Debian 12 (bookworm), as the runtime is")
    if not runtime["image"].endswith("debian:bookworm-slim"):
        problem(f"{path}: the runtime stage is {runtime['image']}, not debian:bookworm-slim")
    users = [command.value[0] for command in runtime["commands"] if command.cmd == "USER"]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        problem(f"{path}: the runtime stage runs as {users[-1] if users else 'root (no USER)'}; give a user without privileges")
    copies = [command for command in runtime["commands"] if command.cmd == "COPY" and any(
        flag.startswith("--from=") for flag in command.flags)]
    if not any("/usr/local/bin/nightdesk" in command.value for command in copies):
        problem(f"{path}: the runtime stage does not copy the built nightdesk to /usr/local/bin/nightdesk")
    entry = [command for command in runtime["commands"] if command.cmd == "ENTRYPOINT"]
    if not entry or not entry[-1].json or entry[-1].value[0] != "/usr/local/bin/nightdesk":
        problem(f"{path}: ENTRYPOINT must be [\"/usr/local/bin/nightdesk\"] (exec form, so SIGTERM reaches the worker)")
    have = installed(runtime)
    # What apt installs with them: their dependencies, and theirs in turn (libcurl4 brings
    # Kerberos and GnuTLS, which nightdesk links through it).
    covered = set(BASE)
    pending = list(have)
    while pending:
        name = pending.pop()
        if name in covered:
            continue
        covered.add(name)
        pending.extend(depends(name) - covered)
    for package, library in sorted(linked_packages(binary).items()):
        if package not in covered:
            problem(f"{path}: the runtime stage does not install {package}, which holds {library} that nightdesk links")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    for text in problems:
        print(f"containerfile: {text}", file=sys.stderr)
    sys.exit(1 if problems else 0)
