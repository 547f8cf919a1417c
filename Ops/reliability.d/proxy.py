#!/usr/bin/env python3
"""A loopback TCP proxy in front of Redis whose network can be cut.

    proxy.py UPSTREAM_PORT PORT_FILE

Listens on a free 127.0.0.1 port (written to PORT_FILE once listening) and forwards
every connection to 127.0.0.1:UPSTREAM_PORT.

SIGUSR1 cuts the network: from then on every byte in either direction is dropped,
and new connections are accepted but carry nothing (as if their packets were lost).
SIGUSR2 restores it: a connection that lost bytes during the cut is reset (TCP never
delivers a stream with a hole in it; the peer would see the connection fail), the
others carry on. SIGTERM stops the proxy.
"""
import signal
import socket
import struct
import sys
import threading

cut = threading.Event()
stopping = threading.Event()
restore_requested = threading.Event()
lock = threading.Lock()
pairs = set()


class Pair:
    def __init__(self, client):
        self.client = client
        self.upstream = None
        self.damaged = False
        self.closed = False

    def reset(self):
        """Closes both sides with RST (SO_LINGER 0). The shutdown wakes the pump threads
        blocked in recv(): a bare close() from another thread would not, and the socket
        (and its RST) would wait for their recv() to return."""
        with lock:
            if self.closed:
                return
            self.closed = True
            pairs.discard(self)
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass

    def close(self):
        with lock:
            if self.closed:
                return
            self.closed = True
            pairs.discard(self)
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass


def pump(pair, source, target_of):
    """Copies source -> target (target looked up each time: upstream connects lazily)."""
    while True:
        try:
            data = source.recv(65536)
        except OSError:
            break
        if not data:
            break
        if cut.is_set() or pair.damaged:
            pair.damaged = True  # dropped: this stream now has a hole
            continue
        target = target_of()
        if target is None:
            pair.damaged = True
            continue
        try:
            target.sendall(data)
        except OSError:
            break
    pair.close()


def serve(pair, upstream_port):
    if not cut.is_set():
        try:
            pair.upstream = socket.create_connection(("127.0.0.1", upstream_port), timeout=5)
            pair.upstream.settimeout(None)
        except OSError:
            pair.close()
            return
        threading.Thread(target=pump, args=(pair, pair.upstream, lambda: pair.client), daemon=True).start()
    else:
        pair.damaged = True  # accepted during the cut: carries nothing, reset at the restore
    pump(pair, pair.client, lambda: pair.upstream)


def main():
    upstream_port = int(sys.argv[1])
    port_file = sys.argv[2]
    signal.signal(signal.SIGUSR1, lambda *_: cut.set())
    signal.signal(signal.SIGUSR2, lambda *_: restore_requested.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.05)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    import os
    os.replace(port_file + ".tmp", port_file)
    while not stopping.is_set():
        if restore_requested.is_set():
            restore_requested.clear()
            with lock:
                damaged = [p for p in pairs if p.damaged]
            cut.clear()
            for pair in damaged:
                pair.reset()
            print("proxy: restored; reset %d connection(s) that lost bytes" % len(damaged), flush=True)
        try:
            client, _ = listener.accept()
        except (TimeoutError, socket.timeout):
            continue
        except OSError:
            continue
        client.settimeout(None)
        pair = Pair(client)
        with lock:
            pairs.add(pair)
        threading.Thread(target=serve, args=(pair, upstream_port), daemon=True).start()
    with lock:
        everything = list(pairs)
    for pair in everything:
        pair.close()


if __name__ == "__main__":
    main()
