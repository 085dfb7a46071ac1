"""Where the console listens, and running it with uvicorn.

It listens on loopback only, unless told otherwise with ``allow_remote`` (and
then with a warning), on a socket bound before uvicorn starts, so that the
printed URL names the port that is really in use.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from msgstatus.errors import CliError
from msgstatus.ui.app import Settings, create_app
from msgstatus.ui.backend import Backend
from msgstatus.ui.guard import Address, Keys

LOOPBACK_NAMES = {"localhost": "127.0.0.1"}
STARTUP_TIMEOUT_S = 10.0
REMOTE_WARNING = (
    "WARNING: the console listens on {host}, which other machines can reach, over plain HTTP. "
    "Anyone who sees its URL can read messages with your credentials. Stop it (Ctrl-C) when done."
)


def bind_host(host: str, allow_remote: bool) -> tuple[str, str | None]:
    """The IP address to listen on and, for one other machines can reach, a warning.

    Refused (CliError): a name, every interface (the Host check needs the one
    address the browser uses), and a non-loopback address without ``allow_remote``.
    """
    name = LOOPBACK_NAMES.get(host.strip().lower(), host.strip().strip("[]"))
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        raise CliError(
            f"--host takes an IP address such as 127.0.0.1 or ::1, not {host!r}"
        ) from None
    if ip.is_loopback:
        return str(ip), None
    if ip.is_unspecified:
        raise CliError(
            f"--host {host} listens on every interface: name the one address to serve on "
            "(the console answers only at the address it prints)"
        )
    if not allow_remote:
        raise CliError(
            f"--host {host} is not a loopback address: other machines could reach the console, "
            "and the API through it with your credentials; add --allow-remote to do so anyway"
        )
    return str(ip), REMOTE_WARNING.format(host=ip)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise CliError(f"cannot listen on {host} port {port}: {err.strerror or err}") from err
    return sock


@dataclass
class RunningConsole:
    """A console ready to serve: its address, its sign-in URL, and the server."""

    address: Address
    keys: Keys
    server: uvicorn.Server
    sock: socket.socket

    @property
    def url(self) -> str:
        return f"{self.address.origin}/"

    @property
    def sign_in_url(self) -> str:
        return f"{self.address.origin}/?token={self.keys.token}"

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (uvicorn handles the signal, then raises KeyboardInterrupt)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    @contextmanager
    def in_background(self) -> Iterator[RunningConsole]:
        """Serve from a thread while the block runs (tests, the screenshot)."""
        thread = threading.Thread(target=self.serve_forever, name="msgstatus-ui", daemon=True)
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            if not self.server.started:
                raise CliError("the console did not start")
            yield self
        finally:
            self.server.should_exit = True
            thread.join(timeout=STARTUP_TIMEOUT_S)


def prepare(settings: Settings, backend: Backend, ip: str, port: int) -> RunningConsole:
    """The console bound to its socket on ``ip`` (checked by bind_host), not serving yet."""
    sock = listen(ip, port)
    address = Address(ip, int(sock.getsockname()[1]))
    keys = Keys.new()
    config = uvicorn.Config(
        create_app(settings, backend, keys, address),
        http="h11",
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    return RunningConsole(address, keys, uvicorn.Server(config), sock)
