"""A moto server on a loopback port, standing in for AWS.

The apply tests, the benchmark and the local demo all talk to it the same
way: through ``AWS_ENDPOINT_URL`` and fake credentials, exactly as the AWS
provider and boto3 do against real AWS.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class Emulator:
    """A running moto server and the environment that points clients at it."""

    endpoint_url: str

    @property
    def env(self) -> dict[str, str]:
        environment = {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            # Keep the AWS provider and boto3 from looking for real credentials or metadata.
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        del environment["AWS_SESSION_TOKEN"]
        return environment

    def client(
        self,
        service: str,
        credentials: Mapping[str, str] | None = None,
        region_name: str = REGION,
    ) -> Any:
        """A boto3 client for ``service`` on the emulator (fake credentials unless given)."""
        keys = dict(
            credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        )
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=region_name, **keys
        )


@contextmanager
def moto_server(port: int | None = None, host: str = "127.0.0.1") -> Iterator[Emulator]:
    """Run a ThreadedMotoServer for the duration of the block, on ``port`` or, by default,
    on a port the system picks as it binds (no other process can take it first)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log lines
    server = ThreadedMotoServer(ip_address=host, port=port or 0, verbose=False)
    server.start()
    _, bound = server.get_host_and_port()
    try:
        yield Emulator(endpoint_url=f"http://{host}:{bound}")
    finally:
        server.stop()


@contextmanager
def patched_environ(overrides: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block and restore them after."""
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
