"""HTTP calls to the message status API: building, authorizing and sending requests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import quote, urlencode

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError
from botocore.session import Session

from msgstatus.errors import CliError

SERVICE = "execute-api"
BATCH_SIZE = 100  # POST /messages/batch-get takes 1 to 100 ids
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
USER_AGENT = "msgstatus/0.1.0"


@dataclass(frozen=True)
class Auth:
    """How requests are authorized: SigV4 with AWS credentials, a bearer token, or not at all."""

    mode: Literal["sigv4", "bearer", "none"]
    region: str | None = None
    token: str | None = None
    credentials: Any = None  # botocore ReadOnlyCredentials, for sigv4


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


Transport = Callable[[HttpRequest], HttpResponse]


class ApiError(CliError):
    """An HTTP error answer from the API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"the API answered {status}: {message}")
        self.status = status
        self.message = message


class NoCredentials(CliError):
    """No AWS credentials to sign with (none configured, expired, or unreadable)."""


class Unreachable(CliError):
    """The API could not be reached: no answer at all (DNS, refused, timed out, TLS)."""


def load_credentials() -> Any:
    """The caller's AWS credentials from botocore's chain (environment, profile, SSO, role, ...)."""
    try:
        credentials = Session().get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as err:
        raise NoCredentials(f"could not load AWS credentials: {err}") from err
    if frozen is None or not frozen.access_key:
        raise NoCredentials(
            "no AWS credentials found to sign the request (SigV4); configure credentials, "
            "or pass --token for a JWT API or --no-sign for a local one"
        )
    return frozen


def make_auth(
    sign: bool, token: str | None, region: str | None, credentials: Callable[[], Any]
) -> Auth:
    """A bearer token wins over signing; signing needs a region and credentials."""
    if not sign:
        return Auth("none")
    if token:
        return Auth("bearer", token=token)
    if not region:
        raise CliError("no region to sign for: pass --region or set AWS_REGION")
    return Auth("sigv4", region=region, credentials=credentials())


def build_request(
    method: str,
    base_url: str,
    path: str,
    query: Mapping[str, str] | None = None,
    payload: Any = None,
) -> HttpRequest:
    """An unauthorized request: the URL with its encoded query string, and a JSON body."""
    url = base_url.rstrip("/") + path
    if query:
        url += "?" + urlencode(query, quote_via=quote)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    body = None
    if payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    return HttpRequest(method, url, headers, body)


def sign_sigv4(request: HttpRequest, credentials: Any, region: str) -> HttpRequest:
    """The request with SigV4 headers for the execute-api service (Authorization, X-Amz-Date...)."""
    aws_request = AWSRequest(
        method=request.method, url=request.url, data=request.body, headers=request.headers
    )
    SigV4Auth(credentials, SERVICE, region).add_auth(aws_request)
    return replace(request, headers={str(k): str(v) for k, v in aws_request.headers.items()})


def authorize(request: HttpRequest, auth: Auth) -> HttpRequest:
    if auth.mode == "bearer":
        return replace(
            request, headers={**request.headers, "Authorization": f"Bearer {auth.token}"}
        )
    if auth.mode == "sigv4":
        assert auth.region is not None  # noqa: S101 - make_auth guarantees it
        return sign_sigv4(request, auth.credentials, auth.region)
    return request


def urllib3_transport(pool: urllib3.PoolManager | None = None) -> Transport:
    """Send requests with urllib3: bounded timeouts, two retries of a failed connection."""
    manager = pool or urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
        retries=urllib3.Retry(total=2, connect=2, read=0, status=0, redirect=0, backoff_factor=0.2),
    )

    def send(request: HttpRequest) -> HttpResponse:
        try:
            answer = manager.request(
                request.method, request.url, body=request.body, headers=request.headers
            )
        except urllib3.exceptions.HTTPError as err:
            reason = getattr(err, "reason", None) or err
            raise Unreachable(f"cannot reach {request.url}: {reason}") from err
        return HttpResponse(answer.status, answer.data)

    return send


def error_message(body: bytes) -> str:
    """The API's JSON ``message`` field, else the start of the body."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return str(document["message"])
    text = body.decode("utf-8", errors="replace").strip()
    return " ".join(text.split())[:200] or "no message"


def is_message_not_found(status: int, body: bytes) -> bool:
    """The query function's 404 for an id without events (it names the id), not a route 404."""
    if status != 404:
        return False
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and "message_id" in document


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class ApiClient:
    """The API's routes, as Python calls."""

    def __init__(self, base_url: str, auth: Auth, transport: Transport) -> None:
        self.base_url = base_url
        self.auth = auth
        self.transport = transport

    def call(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        payload: Any = None,
    ) -> HttpResponse:
        request = authorize(build_request(method, self.base_url, path, query, payload), self.auth)
        return self.transport(request)

    @staticmethod
    def json_body(response: HttpResponse) -> Any:
        if response.status >= 400:
            raise ApiError(response.status, error_message(response.body))
        try:
            return json.loads(response.body)
        except ValueError as err:
            raise CliError(
                f"the API answered {response.status} with a body that is not JSON"
            ) from err

    def get_message(self, message_id: str) -> dict[str, Any] | None:
        """GET /messages/{id}; None when no event was recorded for the id."""
        response = self.call("GET", "/messages/" + quote(message_id, safe=""))
        if is_message_not_found(response.status, response.body):
            return None
        document = self.json_body(response)
        if not isinstance(document, dict):
            raise CliError("the API answered with JSON that is not a message document")
        return document

    def batch_get(self, message_ids: Sequence[str]) -> dict[str, Any]:
        """One POST /messages/batch-get (1 to 100 ids), as answered."""
        document = self.json_body(
            self.call("POST", "/messages/batch-get", payload={"message_ids": list(message_ids)})
        )
        if not isinstance(document, dict):
            raise CliError("the API answered batch-get with JSON that is not an object")
        return document

    def get_many(self, message_ids: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """(documents found, ids not found) for any number of ids, unprocessed ids asked again."""
        found: list[dict[str, Any]] = []
        missing: list[str] = []
        for chunk in chunks(message_ids, BATCH_SIZE):
            pending = chunk
            while pending:
                answer = self.batch_get(pending)
                messages = list(answer.get("messages") or [])
                not_found = [str(i) for i in answer.get("not_found") or []]
                found.extend(messages)
                missing.extend(not_found)
                unprocessed = [str(i) for i in answer.get("unprocessed_ids") or []]
                if unprocessed and not messages and not not_found:
                    # No progress at all: ask for them one at a time.
                    for message_id in unprocessed:
                        document = self.get_message(message_id)
                        if document is None:
                            missing.append(message_id)
                        else:
                            found.append(document)
                    unprocessed = []
                pending = unprocessed
        return found, missing

    def recipient(self, address: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET /recipients/{address}: the recipient's suppression state and latest messages."""
        response = self.call("GET", "/recipients/" + quote(address, safe=""), query=params)
        if response.status == 404:
            raise CliError(
                "the API has no /recipients route: it was deployed by a module older than the "
                "recipient page; upgrade the module, or use search --recipient"
            )
        document = self.json_body(response)
        if (
            not isinstance(document, dict)
            or not isinstance(document.get("suppression"), dict)
            or not isinstance(document.get("messages"), list)
        ):
            raise CliError("the API answered with JSON that is not a recipient's page")
        return document

    def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        """One page of GET /messages: {"messages": [...], "next_cursor": ...}."""
        document = self.json_body(self.call("GET", "/messages", query=params))
        if not isinstance(document, dict) or not isinstance(document.get("messages"), list):
            raise CliError("the API answered a search with JSON that is not a page of messages")
        return document
