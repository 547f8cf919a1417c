# Shared by Ops/check-deploy and Ops/check-tls (sourced, after `name` is set): messages,
# the built nightdesk binary, free ports, and ending the processes a check started.

say()  { printf '%s: %s\n' "$name" "$*"; }
fail() { printf '%s: error: %s\n' "$name" "$*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${NIGHTDESK_BUILD_DIR:-.build}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/nd-$name.XXXXXX")"
started_pids=()  # every process the check started, ended at exit

end_started() {
  local pid
  for pid in "${started_pids[@]+"${started_pids[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${started_pids[@]+"${started_pids[@]}"}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.1
  done
  for pid in "${started_pids[@]+"${started_pids[@]}"}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  end_started
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The nightdesk binary: $NIGHTDESK_BIN, else the debug build in $build_dir (built if
# missing: the build is incremental, and quick when Ops/test has just built).
nightdesk_binary() {
  if [ -n "${NIGHTDESK_BIN:-}" ]; then
    [ -x "$NIGHTDESK_BIN" ] || fail "NIGHTDESK_BIN=$NIGHTDESK_BIN is not an executable"
    echo "$NIGHTDESK_BIN"
    return
  fi
  local bin
  bin="$(cd "$root" && swift build --scratch-path "$build_dir" --show-bin-path)/nightdesk"
  if [ ! -x "$bin" ]; then
    say "building nightdesk (swift build --product nightdesk)" >&2
    (cd "$root" && swift build --scratch-path "$build_dir" --product nightdesk >"$scratch/build.log" 2>&1) \
      || { tail -n 40 "$scratch/build.log" >&2; fail "swift build failed (its end is above)"; }
  fi
  echo "$bin"
}

# A TCP port free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the TCP port $1 on 127.0.0.1 accepts connections (the process $2 alive).
wait_for_port() {
  local port="$1" pid="$2"
  for _ in $(seq 1 100); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$port" \
      2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Runs `expect_fail WHAT COMMAND...`: the command must fail; its output goes to $scratch/last.out.
expect_fail() {
  local what="$1"
  shift
  if "$@" >"$scratch/last.out" 2>&1; then
    cat "$scratch/last.out" >&2
    fail "$what: succeeded, but must be refused"
  fi
}

# `json_get KEY < JSON`: one top-level field of a JSON object (lists and objects as JSON).
json_get() {
  python3 -c 'import json, sys
value = json.load(sys.stdin)[sys.argv[1]]
print(value if isinstance(value, str) else json.dumps(value))' "$1"
}

# `as_role USER COMMAND...`: runs COMMAND (nightdesk) as the Redis user USER at
# $redis_address (host:port), its password from $acl/USER.password through
# NIGHTDESK_REDIS_PASSWORD_FILE: never on a command line.
as_role() {
  local user="$1"
  shift
  NIGHTDESK_REDIS_URL="redis://$user@$redis_address/0" NIGHTDESK_REDIS_PASSWORD_FILE="$acl/$user.password" \
    NIGHTDESK_QUEUE=main "$@"
}
