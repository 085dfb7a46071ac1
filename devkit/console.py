"""`msgstatus ui` served in the background of this process, for the demo and the screenshot."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from msgstatus.main import Runtime, main


@contextmanager
def running_console(api_url: str) -> Iterator[str]:
    """The console on ``api_url`` (a local API that checks no signature: ``--no-sign``);
    yields the sign-in address it prints, and stops it on the way out."""
    consoles: list[Any] = []
    output = io.StringIO()
    runtime = Runtime(stdout=output, stderr=output, serve_console=consoles.append)
    code = main(["ui", "--no-sign", "--api-url", api_url], runtime)
    if code != 0 or not consoles:
        raise RuntimeError(f"msgstatus ui did not start: {output.getvalue().strip()}")
    with consoles[0].in_background() as console:
        yield console.sign_in_url
