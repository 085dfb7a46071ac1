"""Who may use the console: the printed token, a session cookie, CSRF, the Host header.

* The URL ``msgstatus ui`` prints carries a random token. A request with a
  valid ``?token=`` gets a session cookie (HttpOnly, SameSite=Strict) and a
  redirect to the same address without the token; every other request needs
  that cookie, else 401.
* The Host header must be exactly the printed address (``127.0.0.1:PORT``),
  else 400: a page on another site that rebinds its DNS name to 127.0.0.1
  cannot talk to the console.
* Any request that is not GET or HEAD must carry the session's CSRF token (a
  form field ``csrf_token`` or an ``X-CSRF-Token`` header), and must not come
  from another site by its Origin or Sec-Fetch-Site, else 403. The check is
  here, before any route, so that no route can forget it.
* Every answer carries a Content-Security-Policy that allows scripts and
  styles from the console only (no inline script), nosniff, no referrer, and
  no framing.

Sessions are stateless: a cookie is a random id and its HMAC, and the CSRF
token is another HMAC of the id, under a key that lives as long as the process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_PARAM = "token"  # noqa: S105 - the name of a query parameter, not a secret
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
MAX_BODY_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cache-control": "no-store",
}
SIGN_IN_HINT = (
    "Open the address that `msgstatus ui` printed, with its ?token=..., "
    "or start `msgstatus ui` again for a new one."
)


def sign(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class Keys:
    """The printed token, and the key that signs sessions and CSRF tokens (per process)."""

    token: str
    key: bytes

    @classmethod
    def new(cls) -> Keys:
        return cls(secrets.token_urlsafe(32), secrets.token_bytes(32))

    def token_ok(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    def new_session(self) -> str:
        """A cookie value: a random session id and its signature."""
        session = secrets.token_urlsafe(18)
        return f"{session}.{sign(self.key, 'session', session)}"

    def session(self, cookie: str | None) -> str | None:
        """The session id of a cookie this process made, else None."""
        session, _, signature = (cookie or "").partition(".")
        if not session or not signature:
            return None
        expected = sign(self.key, "session", session)
        return session if hmac.compare_digest(signature.encode(), expected.encode()) else None

    def csrf(self, session: str) -> str:
        return sign(self.key, "csrf", session)


@dataclass(frozen=True)
class Address:
    """Where the console listens, as the browser names it: the printed URL's host and port."""

    host: str  # an IP address, IPv6 without brackets
    port: int

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.netloc}"

    @property
    def host_headers(self) -> frozenset[str]:
        """The Host headers a browser sends for this address (no port for port 80)."""
        names = {self.netloc}
        if self.port == 80:  # HTTP's default port
            names.add(self.netloc.rsplit(":", 1)[0])
        return frozenset(names)

    def cookie_name(self) -> str:
        """Cookies ignore ports: each console on the host keeps its own."""
        return f"msgstatus_console_{self.port}"


def without_token(request: Request) -> str:
    """The request's path and query string, less the token."""
    query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True)]
    rest = urlencode([(k, v) for k, v in query if k != TOKEN_PARAM])
    return request.url.path + (f"?{rest}" if rest else "")


def same_origin(headers: Headers, origin: str) -> bool:
    """False when the browser says the request comes from another site.

    A browser sends ``Origin: null`` for a form posted from a page whose
    Referrer-Policy is no-referrer (as the console's are): that says nothing,
    and the CSRF token decides. ``Sec-Fetch-Site`` is sent whatever the policy.
    """
    sent = headers.get("origin")
    if sent not in (None, "null", origin):
        return False
    return headers.get("sec-fetch-site") in (None, "same-origin", "none")


def refuse(status: int, message: str) -> Response:
    return PlainTextResponse(f"msgstatus console: {message}\n", status_code=status)


def csrf_candidate(headers: Headers, body: bytes) -> str | None:
    """The CSRF token a request carries: the header, else the form field."""
    if headers.get(CSRF_HEADER):
        return headers[CSRF_HEADER]
    if headers.get("content-type", "").split(";", 1)[0].strip() != FORM_TYPE:
        return None
    fields = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return next((value for name, value in fields if name == CSRF_FIELD), None)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is larger than MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A receive that hands the app the body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                if name not in headers:
                    headers[name] = value
        await send(message)

    return sending


class Guard:
    """ASGI middleware: every check above, before any route runs."""

    def __init__(self, app: Asgi, keys: Keys, address: Address) -> None:
        self.app = app
        self.keys = keys
        self.address = address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        send = with_security_headers(send)
        if scope["type"] != "http":
            await refuse(400, "HTTP only")(scope, receive, send)
            return
        response, receive = await self.check(scope, receive)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def check(self, scope: Scope, receive: Receive) -> tuple[Response | None, Receive]:
        """A refusal (or the token's redirect), else None and the receive to go on with."""
        request = Request(scope)
        if request.headers.get("host") not in self.address.host_headers:
            return refuse(400, f"this console answers only at {self.address.origin}/"), receive
        token = request.query_params.get(TOKEN_PARAM)
        if token is not None:
            return self.sign_in(request, token), receive
        session = self.keys.session(request.cookies.get(self.address.cookie_name()))
        if session is None:
            return refuse(401, f"not signed in. {SIGN_IN_HINT}"), receive
        csrf = self.keys.csrf(session)
        scope.setdefault("state", {})["csrf"] = csrf
        if request.method in SAFE_METHODS:
            return None, receive
        return await self.check_unsafe(request, receive, csrf)

    def sign_in(self, request: Request, token: str) -> Response:
        if not self.keys.token_ok(token):
            return refuse(401, f"that token is not this console's. {SIGN_IN_HINT}")
        response = RedirectResponse(without_token(request), status_code=303)
        response.set_cookie(
            self.address.cookie_name(),
            self.keys.new_session(),
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    async def check_unsafe(
        self, request: Request, receive: Receive, csrf: str
    ) -> tuple[Response | None, Receive]:
        if not same_origin(request.headers, self.address.origin):
            return refuse(403, "a request from another site"), receive
        body = await read_body(receive)
        if body is None:
            return refuse(413, "request body too large"), receive
        candidate = csrf_candidate(request.headers, body)
        if candidate is None or not hmac.compare_digest(candidate.encode(), csrf.encode()):
            return refuse(
                403, "missing or wrong CSRF token: reload the page and try again"
            ), receive
        return None, replay(body)
