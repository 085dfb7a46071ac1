"""The console's routes: server-rendered pages, one live fragment, and the CSV export.

| route | what |
|---|---|
| ``GET /`` | the search box and the window form |
| ``GET /find?q=...[&by=...][&cursor=...]`` | what a search box entry finds; a recipient page |
| ``GET /window?status=...&range=...[&since&until&channel&account&region&cursor]`` | by outcome |
| ``GET /messages/{id}`` | one message: status, recipients, timeline |
| ``GET /live/{id}`` | the changing part of that page, which its script fetches until final |
| ``POST /export`` | the listed messages (``id`` fields) as CSV |
| ``GET /static/...`` | the stylesheet, the script, the icon |

API calls block, so the routes that make them are plain functions, which
Starlette runs in its thread pool. Guard (guard.py) checks every request first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import jinja2
from message_status.model import Channel, Group
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from msgstatus.ui import lookup, views
from msgstatus.ui.backend import Backend, Failed, Found, Page, Problem, Step, input_problem
from msgstatus.ui.guard import Address, Asgi, Guard, Keys

HERE = Path(__file__).parent
MAX_EXPORT_IDS = 100
# The words for the model's groups and channels (tests check that each has some).
STATUS_GROUP_LABELS: dict[str, str] = {
    Group.FAILED: "failed (final failures)",
    Group.PENDING: "pending (held up)",
}
CHANNEL_LABELS: dict[str, str] = {
    Channel.EMAIL: "email",
    Channel.SMS: "SMS",
    Channel.MMS: "MMS",
    Channel.VOICE: "voice",
}
CHANNEL_NOUNS: dict[str, str] = {
    Channel.EMAIL: "emails",
    Channel.SMS: "SMS messages",
    Channel.MMS: "MMS messages",
    Channel.VOICE: "voice messages",
}
BACK_PREFIXES = ("/find?", "/window?")
RANGE_LABELS = {
    "1h": "the last hour",
    "24h": "the last 24 hours",
    "7d": "the last 7 days",
    "custom": "a custom range (UTC)",
}


@dataclass(frozen=True)
class Settings:
    """What every page shows about the console itself."""

    api_url: str
    auth_label: str
    interval_s: float = 2.0
    page_size: int = 50


@dataclass(frozen=True)
class Form:
    """The values the two forms show (what was last asked)."""

    q: str = ""
    by: str = lookup.By.AUTO.value
    status: str = lookup.DEFAULT_STATUS
    range: str = lookup.DEFAULT_RANGE
    since: str = ""
    until: str = ""
    channel: str = ""
    account: str = ""
    region: str = ""


@dataclass(frozen=True)
class Listing:
    """A list of messages, the searches behind it, and links to its other pages."""

    heading: str
    steps: tuple[Step, ...] = ()
    description: str = ""
    rows: list[views.Row] = field(default_factory=list)
    next_href: str | None = None
    first_href: str | None = None


def environment() -> jinja2.Environment:
    """Templates from the package; every value escaped; a missing name is an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def href(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(params, quote_via=quote)}"


def here(request: Request) -> str:
    """The request's path and query: where a message page links back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def first(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None


class Console:
    """The pages, bound to one backend and one set of settings."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.now = now or (lambda: datetime.now(UTC))
        self.env = environment()

    # --- rendering ------------------------------------------------------------------------

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        values = {
            "settings": self.settings,
            "csrf_token": getattr(request.state, "csrf", ""),
            "form": Form(),
            "by_labels": lookup.BY_LABELS,
            "status_groups": STATUS_GROUP_LABELS,
            "statuses": lookup.WINDOW_STATUSES,
            "channels": CHANNEL_LABELS,
            "ranges": RANGE_LABELS,
            "problem": None,
            "back": None,
            **context,
        }
        html = self.env.get_template(name).render(values)
        return HTMLResponse(html, status_code=status)

    def problem_page(self, request: Request, problem: Problem, form: Form) -> Response:
        return self.render(request, "home.html", problem.status, problem=problem, form=form)

    # --- pages ----------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        return self.render(request, "home.html")

    def find(self, request: Request) -> Response:
        form = Form(q=request.query_params.get("q", ""), by=request.query_params.get("by", "auto"))
        try:
            entry = lookup.find_request(form.q, form.by, first(request, "cursor"))
            found = self.backend.find(entry)
        except lookup.InputError as err:
            return self.problem_page(request, input_problem(str(err)), form)
        except Failed as err:
            return self.problem_page(request, err.problem, form)
        if found.message is not None:
            return self.message_page(request, found.message, form, found.steps)
        listing = found_listing(entry, found)
        if found.recipient is not None:
            view = views.recipient_view(found.recipient)
            listing = replace(listing, heading=f"Recipient {entry.text}", rows=view.rows)
            return self.render(
                request, "recipient.html", form=form, listing=listing, view=view,
                here=here(request),
            )  # fmt: skip
        return self.render(request, "list.html", form=form, listing=listing, here=here(request))

    def window(self, request: Request) -> Response:
        query = request.query_params
        form = Form(
            status=query.get("status", lookup.DEFAULT_STATUS),
            range=query.get("range", lookup.DEFAULT_RANGE),
            since=query.get("since", ""),
            until=query.get("until", ""),
            channel=query.get("channel", ""),
            account=query.get("account", ""),
            region=query.get("region", ""),
        )
        try:
            window = lookup.window_request(query, self.now())
            page = self.backend.window(window)
        except lookup.InputError as err:
            return self.problem_page(request, input_problem(str(err)), form)
        except Failed as err:
            return self.problem_page(request, err.problem, form)
        return self.render(
            request, "list.html", form=window_form(window), listing=listing(window, page),
            here=here(request),
        )  # fmt: skip

    def message(self, request: Request) -> Response:
        message_id = request.path_params["message_id"]
        back = back_href(request.query_params.get("back"))
        try:
            document = self.backend.message(message_id)
        except Failed as err:
            return self.problem_page(request, err.problem, Form(q=message_id))
        if document is None:
            return self.render(
                request, "message.html", 404, form=Form(q=message_id), missing=message_id,
                view=None, steps=(), live_url=live_href(message_id), back=back,
            )  # fmt: skip
        return self.message_page(request, document, Form(), (), back)

    def message_page(
        self,
        request: Request,
        document: dict[str, Any],
        form: Form,
        steps: Sequence[Step],
        back: str | None = None,
    ) -> Response:
        view = views.message_view(document)
        return self.render(
            request, "message.html", form=form, view=view, missing=None, steps=steps,
            live_url=live_href(view.message_id), back=back,
        )  # fmt: skip

    def live(self, request: Request) -> Response:
        """The changing part of a message page (or why it could not be read)."""
        message_id = request.path_params["message_id"]
        try:
            document = self.backend.message(message_id)
        except Failed as err:
            return self.render(
                request, "_live_problem.html", err.problem.status, problem=err.problem
            )
        view = None if document is None else views.message_view(document)
        return self.render(
            request, "_live.html", view=view, missing=message_id if view is None else None,
            live_url=live_href(message_id),
        )  # fmt: skip

    async def export(self, request: Request) -> Response:
        """POST /export: the messages named by the ``id`` fields, in that order, as CSV."""
        fields = parse_qsl((await request.body()).decode("utf-8", errors="replace"))
        ids = list(dict.fromkeys(value for name, value in fields if name == "id" and value))
        if not ids or len(ids) > MAX_EXPORT_IDS:
            problem = input_problem(f"export takes 1 to {MAX_EXPORT_IDS} message ids")
            return self.problem_page(request, problem, Form())
        try:
            documents = await run_in_threadpool(self.backend.documents, ids)
        except Failed as err:
            return self.problem_page(request, err.problem, Form())
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        return Response(
            views.csv_text(views.in_order(documents, ids)),
            media_type="text/csv",  # Starlette adds "; charset=utf-8" to every text/ type
            headers={"content-disposition": f'attachment; filename="messages-{stamp}.csv"'},
        )


def back_href(value: str | None) -> str | None:
    """A link back to the list a message was opened from: only the console's own lists."""
    return value if value and value.startswith(BACK_PREFIXES) else None


def live_href(message_id: str) -> str:
    return "/live/" + quote(message_id, safe="")


def next_href(path: str, base: Mapping[str, str], page: Page) -> str | None:
    return href(path, {**base, "cursor": page.next_cursor}) if page.next_cursor else None


def window_form(window: lookup.Window) -> Form:
    custom = window.range == lookup.CUSTOM
    return Form(
        status=window.status,
        range=window.range,
        since=lookup.form_time(window.since) if custom else "",
        until=lookup.form_time(window.until) if custom else "",
        channel=window.channel or "",
        account=window.account or "",
        region=window.region or "",
    )


def window_heading(window: lookup.Window) -> str:
    noun = CHANNEL_NOUNS.get(window.channel or "", "messages")
    if window.status in STATUS_GROUP_LABELS:
        return f"{window.status.capitalize()} {noun}"
    return f"{noun.capitalize()} with status {window.status}"


def found_listing(entry: lookup.Find, found: Found) -> Listing:
    base = {"q": entry.text, "by": found.by.value}
    return Listing(
        heading=f"Messages for {lookup.BY_LABELS[found.by]} {entry.text}",
        steps=found.steps,
        rows=views.rows(found.page.messages),
        next_href=next_href("/find", base, found.page),
        first_href=href("/find", base) if entry.cursor else None,
    )


def listing(window: lookup.Window, page: Page) -> Listing:
    since, until = lookup.api_time(window.since), lookup.api_time(window.until)
    return Listing(
        heading=window_heading(window),
        description=f"Status reached between {since} and {until}, newest first.",
        rows=views.rows(page.messages),
        next_href=next_href("/window", window.page_params(None), page),
        first_href=href("/window", window.page_params(None)) if window.cursor else None,
    )


def create_app(settings: Settings, backend: Backend, keys: Keys, address: Address) -> Asgi:
    """The console as an ASGI application, every request checked by Guard first."""
    console = Console(settings, backend)
    routes = [
        Route("/", console.home),
        Route("/find", console.find),
        Route("/window", console.window),
        Route("/messages/{message_id:path}", console.message),
        Route("/live/{message_id:path}", console.live),
        Route("/export", console.export, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Guard(Starlette(routes=routes), keys, address)
