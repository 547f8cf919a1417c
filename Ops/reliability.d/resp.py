"""A small Redis client (RESP2, stdlib only) for the reliability suite's helpers.

It reads Redis the way an operator would, from the outside: no nightdesk code.
`Redis("unix:///path/redis.sock")` or `Redis("redis://127.0.0.1:6379/0")`.
"""
import socket
import urllib.parse


class ReplyError(Exception):
    """Redis answered with an error reply (`-OOM ...`, `-ERR ...`)."""


class Redis:
    def __init__(self, url, timeout=10.0):
        self.url = url
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme == "unix":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(parsed.path)
            db = urllib.parse.parse_qs(parsed.query).get("db", ["0"])[0]
        else:
            self.sock = socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=timeout)
            db = (parsed.path or "/0").lstrip("/") or "0"
        self.buffer = b""
        if db != "0":
            self.command("SELECT", db)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            if isinstance(arg, str):
                arg = arg.encode()
            elif not isinstance(arg, bytes):
                arg = str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(args))

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("Redis closed the connection")
        self.buffer += chunk

    def readline(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _read_exact(self, n):
        while len(self.buffer) < n + 2:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n + 2:]
        return data

    def read(self):
        """One reply: str for simple/bulk strings (bytes kept as str with surrogateescape),
        int, list, None; an error reply is returned as a ReplyError instance."""
        line = self.readline()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "surrogateescape")
        if kind == b"-":
            return ReplyError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._read_exact(n).decode("utf-8", "surrogateescape")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ConnectionError("unexpected reply line %r" % line[:80])

    def command(self, *args):
        self.send(*args)
        reply = self.read()
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def pipeline(self, commands):
        """Sends every command, then reads every reply (errors stay in the list)."""
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        return [self.read() for _ in commands]

    def info(self, section=""):
        text = self.command("INFO", section) if section else self.command("INFO")
        out = {}
        for line in text.splitlines():
            if ":" in line and not line.startswith("#"):
                key, _, value = line.partition(":")
                out[key] = value
        return out


def hash_reply(reply):
    """[k1, v1, k2, v2, ...] -> {k1: v1, ...}"""
    reply = reply or []
    return {reply[i]: reply[i + 1] for i in range(0, len(reply) - 1, 2)}
