"""A DynamoDB endpoint on loopback that fails the way a bad day does.

Modes: ``throttle`` (400 ThrottlingException), ``error`` (500
InternalServerError), ``reset`` (the connection is reset once the request is
read), ``hang`` (the request is read and never answered). For ``down``, use a
port nothing listens on (devkit.emulator.free_port).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ANSWERS = {
    "throttle": (400, "ThrottlingException"),
    "error": (500, "InternalServerError"),
}


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65_536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = conn.recv(65_536)
        if not chunk:
            return
        body += chunk


def _answer(conn: socket.socket, mode: str, stop: threading.Event) -> None:
    with conn:
        try:
            while True:  # keep-alive: botocore reuses the connection for retries
                _read_request(conn)
                if mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if mode == "hang":
                    stop.wait()
                    return
                status, code = ANSWERS[mode]
                body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}"}).encode()
                conn.sendall(
                    f"HTTP/1.1 {status} Fault\r\nContent-Type: application/x-amz-json-1.0\r\n"
                    f"x-amzn-RequestId: fault\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
        except OSError:
            return


@contextmanager
def fault_endpoint(mode: str) -> Iterator[str]:
    """An http://127.0.0.1:PORT endpoint failing every request in ``mode``."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
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
            threading.Thread(target=_answer, args=(conn, mode, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
