"""The API calls a page makes, with every failure turned into a problem a page can show.

Each request builds its API client anew, so credentials are read again
(at most once a minute, and at once after the API refused them): a console
left open survives an ``aws sso login`` or a refreshed profile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from msgstatus.api import ApiClient, ApiError, NoCredentials, Unreachable
from msgstatus.errors import CliError
from msgstatus.ui.lookup import BY_LABELS, By, Find, Window, plan

T = TypeVar("T")
CREDENTIALS_TTL_S = 60.0
REFUSED = frozenset({401, 403})
BUSY = frozenset({429, 500, 502, 503, 504})
CREDENTIALS_HINT = (
    "Check the AWS credentials msgstatus ui runs with (aws sts get-caller-identity; "
    "aws sso login; AWS_PROFILE) and that they may call execute-api:Invoke on the API. "
    "The console reads them again on the next request: reload the page."
)


@dataclass(frozen=True)
class Problem:
    """Something a page shows instead of results: what happened, in the API's words, and a fix."""

    kind: str  # input, not_found, credentials, unreachable, api
    title: str
    message: str
    hint: str = ""
    status: int = 502  # the console's own answer


class Failed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def input_problem(message: str) -> Problem:
    return Problem("input", "Check what you asked for", message, status=400)


def api_problem(err: ApiError) -> Problem:
    if err.status in REFUSED:
        title = f"The API refused the credentials ({err.status})"
        return Problem("credentials", title, err.message, CREDENTIALS_HINT, 502)
    title = f"The API answered {err.status}"
    if err.status == 400:
        return Problem("api", title, err.message, "Change the search and try again.", 400)
    if err.status in BUSY:
        return Problem("api", title, err.message, "The API is busy or failing: try again soon.")
    if err.status == 404:  # a route's 404: a message's own is not an error
        return Problem("api", title, err.message, "Is the API URL right (and its stage path)?")
    return Problem("api", title, err.message)


def problem_of(err: CliError) -> Problem:
    """The problem a page shows for a failed API call."""
    if isinstance(err, ApiError):
        return api_problem(err)
    if isinstance(err, NoCredentials):
        return Problem("credentials", "No AWS credentials", str(err), CREDENTIALS_HINT, 503)
    if isinstance(err, Unreachable):
        hint = "Check the API URL, your network and any VPN or proxy, then reload the page."
        return Problem("unreachable", "The API cannot be reached", str(err), hint)
    return Problem("api", "The API's answer could not be used", str(err))


class CredentialCache:
    """Credentials loaded at most once per ``ttl`` seconds, and again once forgotten."""

    def __init__(
        self,
        load: Callable[[], Any],
        clock: Callable[[], float] = time.monotonic,
        ttl: float = CREDENTIALS_TTL_S,
    ) -> None:
        self.load = load
        self.clock = clock
        self.ttl = ttl
        self.lock = threading.Lock()
        self.value: Any = None
        self.loaded_at = 0.0

    def __call__(self) -> Any:
        with self.lock:
            now = self.clock()
            if self.value is None or now - self.loaded_at >= self.ttl:
                self.value = self.load()  # raises NoCredentials: nothing is kept
                self.loaded_at = now
            return self.value

    def forget(self) -> None:
        with self.lock:
            self.value = None


@dataclass(frozen=True)
class Step:
    """One search the console made for a search box entry, and what it found."""

    by: By
    value: str
    outcome: str

    @property
    def label(self) -> str:
        return BY_LABELS[self.by]


@dataclass(frozen=True)
class Page:
    messages: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class Found:
    """What a search box entry found: one message by its id, a recipient's page (its
    suppression and a page of its messages), or a page of a search."""

    steps: tuple[Step, ...]
    by: By
    page: Page
    message: dict[str, Any] | None = None
    recipient: dict[str, Any] | None = None


def count(messages: Sequence[Any], more: bool) -> str:
    if not messages:
        return "no messages"
    noun = "message" if len(messages) == 1 else "messages"
    return f"{len(messages)} {noun}" + (" on this page, more on the next" if more else "")


def as_page(answer: dict[str, Any]) -> Page:
    cursor = answer.get("next_cursor")
    return Page(list(answer["messages"]), cursor if isinstance(cursor, str) and cursor else None)


class Backend:
    """The API, as the console's pages use it."""

    def __init__(
        self,
        client: Callable[[], ApiClient],
        forget_credentials: Callable[[], None],
        page_size: int,
    ) -> None:
        self.client = client
        self.forget_credentials = forget_credentials
        self.page_size = page_size

    def call(self, action: Callable[[ApiClient], T]) -> T:
        """``action`` with a fresh client; Failed with a problem when it fails."""
        try:
            return action(self.client())
        except CliError as err:
            if isinstance(err, ApiError) and err.status in REFUSED:
                self.forget_credentials()
            raise Failed(problem_of(err)) from err

    def message(self, message_id: str) -> dict[str, Any] | None:
        """GET /messages/{id}; None when no event was recorded for it."""
        return self.call(lambda client: client.get_message(message_id))

    def search(self, params: dict[str, str]) -> Page:
        return as_page(self.call(lambda client: client.search(params)))

    def recipient(self, address: str, cursor: str | None) -> dict[str, Any]:
        """GET /recipients/{address}: its suppression state and a page of its messages."""
        params = {"limit": str(self.page_size), **({"cursor": cursor} if cursor else {})}
        return self.call(lambda client: client.recipient(address, params))

    def find(self, find: Find) -> Found:
        """Try each search the entry's shape suggests until one finds something."""
        steps: list[Step] = []
        searches = plan(find)
        for by in searches:
            if by is By.RECIPIENT:
                answer = self.recipient(find.text, find.cursor)
                page = as_page(answer)
                steps.append(
                    Step(by, find.text, count(page.messages, page.next_cursor is not None))
                )
                return Found(tuple(steps), by, page, recipient=answer)
            if by is By.MESSAGE_ID:
                document = self.message(find.text)
                if document is not None:
                    steps.append(Step(by, find.text, "found"))
                    return Found(tuple(steps), by, Page([document], None), document)
                steps.append(Step(by, find.text, "no message has this id"))
                continue
            params = {by.value: find.text, "limit": str(self.page_size)}
            page = self.search({**params, "cursor": find.cursor} if find.cursor else params)
            steps.append(Step(by, find.text, count(page.messages, page.next_cursor is not None)))
            if page.messages or by is searches[-1]:
                return Found(tuple(steps), by, page)
        return Found(tuple(steps), searches[-1], Page([], None))

    def window(self, window: Window) -> Page:
        return self.search(window.api_params(self.page_size))

    def documents(self, message_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The documents of these ids (POST /messages/batch-get); ids not found are left out."""
        found, _ = self.call(lambda client: client.get_many(list(message_ids)))
        return found
