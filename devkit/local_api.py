"""A small local stand-in for API Gateway: HTTP requests in, HTTP API (payload 2.0) events out.

It serves exactly the module's routes and hands each request to the query
function as API Gateway would, so curl and any HTTP client can talk to the
deployed query function. It does not check SigV4 or JWTs: that is API
Gateway's job, and the module's plan tests check that every route requires it.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devkit.calls import Invoke

# (method, path pattern) -> routeKey, as the module deploys them.
ROUTES = [
    ("GET", re.compile(r"^/messages/[^/]+$"), "GET /messages/{message_id}"),
    ("GET", re.compile(r"^/messages$"), "GET /messages"),
    ("POST", re.compile(r"^/messages/batch-get$"), "POST /messages/batch-get"),
    ("GET", re.compile(r"^/recipients/[^/]+$"), "GET /recipients/{address}"),
]


def route_key(method: str, path: str) -> str | None:
    for route_method, pattern, key in ROUTES:
        if method == route_method and pattern.match(path):
            return key
    return None


def to_event(
    method: str, target: str, headers: dict[str, str], body: bytes, route: str
) -> dict[str, Any]:
    """The API Gateway HTTP API v2 event for one request."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    text_body = body.decode("utf-8", errors="replace") if body else None
    parameter = next((name for name in ("message_id", "address") if f"{{{name}}}" in route), None)
    path_parameters = {parameter: parts.path.rsplit("/", 1)[-1]} if parameter else None
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {key.lower(): value for key, value in headers.items()},
        "queryStringParameters": query or None,
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("Host", "127.0.0.1"),
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": f"local-{time.time_ns()}",
            "routeKey": route,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text_body,
        "isBase64Encoded": False,
    }


def make_request_handler(invoke: Invoke) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path = urlsplit(self.path).path
            route = route_key(self.command, path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if route is None:
                self._reply(404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}')
                return
            event = to_event(self.command, self.path, dict(self.headers.items()), body, route)
            response = invoke(event)
            payload = response.get("body") or ""
            data = (
                base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
            )
            self._reply(response["statusCode"], response.get("headers") or {}, data)

        def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the demo prints its own lines."""

    return RequestHandler


class LocalApi:
    """Serve ``invoke`` on http://host:port in a background thread (``url``); port 0, the
    default, is a port the system picks as it binds."""

    def __init__(self, invoke: Invoke, port: int = 0, host: str = "127.0.0.1") -> None:
        self.server = ThreadingHTTPServer((host, port), make_request_handler(invoke))
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalApi:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
