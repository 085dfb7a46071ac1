"""A DynamoDB endpoint on loopback that fails the way a bad day does (the tests' and the
benchmark's).

``fault_endpoint(mode)`` fails every request: ``throttle`` (400
ThrottlingException), ``error`` (500 InternalServerError), ``reset`` (the
connection is reset once the request is read), ``hang`` (the request is read
and never answered). For ``down``, use a port that refuses every connection
(``refusing_port``).

``FaultProxy`` forwards to a real endpoint (the emulator) and fails only what
its current ``Fault`` picks: a share of some operations' requests (throttling
half the writes), every request (a burst of 500s), or every connection (the
endpoint down: each connection is reset before a byte is read). The test
switches faults as its clock moves (``FaultSchedule``).
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ANSWERS = {
    "throttle": (400, "ThrottlingException"),
    "error": (500, "InternalServerError"),
}
WRITES = frozenset({"PutItem", "BatchWriteItem"})
# Hop-by-hop headers, and the length the proxy sets itself.
NOT_FORWARDED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def operation(self) -> str:
        """DynamoDB's operation (X-Amz-Target ``DynamoDB_20120810.PutItem`` -> ``PutItem``)."""
        for name, value in self.headers:
            if name.lower() == "x-amz-target":
                return value.rsplit(".", 1)[-1]
        return ""


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65_536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers = [tuple(line.split(":", 1)) for line in header_lines if ":" in line]
    pairs = [(name.strip(), value.strip()) for name, value in headers]
    length = next((int(v) for n, v in pairs if n.lower() == "content-length"), 0)
    while len(body) < length:
        chunk = conn.recv(65_536)
        if not chunk:
            return None
        body += chunk
    return Request(method, path, pairs, body)


def _fault_response(status: int, code: str) -> bytes:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}"}).encode()
    return (
        f"HTTP/1.1 {status} Fault\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"x-amzn-RequestId: fault\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _answer(conn: socket.socket, mode: str, stop: threading.Event) -> None:
    with conn:
        try:
            while True:  # keep-alive: botocore reuses the connection for retries
                if _read_request(conn) is None:
                    return
                if mode == "reset":
                    _reset(conn)
                    return
                if mode == "hang":
                    stop.wait()
                    return
                conn.sendall(_fault_response(*ANSWERS[mode]))
        except OSError:
            return


@contextmanager
def _listening(handle: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """Serve ``handle(conn, stop)`` per connection on a loopback port; its URL."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses every connection for the duration of the block.

    It is bound and never listened on, and held: nothing else (another test
    process included: the tests run in several) can start listening on it
    meanwhile, as it could on a port that was merely free when asked for.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@contextmanager
def fault_endpoint(mode: str) -> Iterator[str]:
    """An http://127.0.0.1:PORT endpoint failing every request in ``mode``."""
    with _listening(lambda conn, stop: _answer(conn, mode, stop)) as url:
        yield url


# --- a proxy that fails some of what it forwards --------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What fails: ``kind`` (throttle, error, down) for ``share`` of the requests of
    ``operations`` (every operation when empty)."""

    kind: str
    share: float = 1.0
    operations: frozenset[str] = frozenset()

    def picks(self, request: Request, draw: float) -> bool:
        if self.operations and request.operation not in self.operations:
            return False
        return draw < self.share


THROTTLE_HALF_THE_WRITES = Fault("throttle", 0.5, WRITES)
ERRORS = Fault("error")
DOWN = Fault("down")


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    fault: Fault


@dataclass(frozen=True)
class FaultSchedule:
    """Faults by time on the test's clock: the first window holding ``now`` wins."""

    windows: Sequence[Window]

    def at(self, now: float) -> Fault | None:
        return next((w.fault for w in self.windows if w.start <= now < w.end), None)

    @property
    def clears_at(self) -> float:
        """When the last fault ends."""
        return max((w.end for w in self.windows), default=0.0)


@dataclass
class FaultProxy:
    """Forwards every request to ``upstream``, except what the current fault picks."""

    upstream: str
    seed: int = 20
    fault: Fault | None = None
    forwarded: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    _random: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - repeatable, not secret

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()

    def handle(self, conn: socket.socket, stop: threading.Event) -> None:
        target = urlsplit(self.upstream)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        with conn:
            try:
                while not stop.is_set():
                    fault = self.fault
                    if fault is not None and fault.kind == "down":
                        self.failed["<connection>"] += 1
                        _reset(conn)  # nothing answers: not even the request is read
                        return
                    request = _read_request(conn)
                    if request is None:
                        return
                    if fault is not None and fault.picks(request, self._draw()):
                        self.failed[request.operation] += 1
                        conn.sendall(_fault_response(*ANSWERS[fault.kind]))
                        continue
                    self.forwarded[request.operation] += 1
                    conn.sendall(self._forward(upstream, request))
            except OSError:
                return
            finally:
                upstream.close()

    def _forward(self, upstream: http.client.HTTPConnection, request: Request) -> bytes:
        headers = {n: v for n, v in request.headers if n.lower() not in NOT_FORWARDED}
        upstream.request(request.method, request.path, body=request.body, headers=headers)
        response = upstream.getresponse()
        body = response.read()
        lines = [f"HTTP/1.1 {response.status} {response.reason}"]
        lines += [
            f"{name}: {value}"
            for name, value in response.getheaders()
            if name.lower() not in NOT_FORWARDED
        ]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@contextmanager
def fault_proxy(upstream: str, seed: int = 20) -> Iterator[tuple[str, FaultProxy]]:
    """(the proxy's URL, the proxy): set ``proxy.fault`` to fail what it picks."""
    proxy = FaultProxy(upstream, seed)
    with _listening(proxy.handle) as url:
        yield url, proxy
