"""The ``msgstatus`` command: argument parsing, configuration, and one function per command."""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shlex
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from message_status.model import Channel

from msgstatus import __version__
from msgstatus.api import (
    ApiClient,
    ApiError,
    Auth,
    NoCredentials,
    Transport,
    load_credentials,
    make_auth,
)
from msgstatus.api import urllib3_transport as default_transport
from msgstatus.backfill_command import add_backfill
from msgstatus.config import (
    TOKEN_ENV,
    TerraformRunner,
    output_value,
    parse_outputs,
    resolve_api_url,
    resolve_region,
    run_terraform_output,
)
from msgstatus.errors import EXIT_ERROR, CliError
from msgstatus.outcome import EXIT_CODES, EXIT_TIMEOUT, Outcome
from msgstatus.output import Output
from msgstatus.render import (
    SEARCH_COLUMNS,
    change_line,
    list_name,
    outcome_line,
    recipient_lines,
    recipient_row,
    search_row,
    timeline_lines,
)
from msgstatus.replay import DEFAULT_MOVE_TO, DEFAULT_PREFIX, Hooks, ReplayOptions, replay
from msgstatus.watch import watch

if TYPE_CHECKING:
    from msgstatus.ui.server import RunningConsole

EXIT_NOT_FOUND = 1
EXIT_REPLAY_FAILING = 1
EXIT_NOT_REMOVED = 1
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_TRANSIENT_FAILURES = 5
PROGRESS_EVERY_OBJECTS = 100
# What the [ui] extra of cli/pyproject.toml installs, by module name: `ui` needs them.
UI_EXTRA_MODULES = frozenset({"jinja2", "starlette", "uvicorn"})
UI_INSTALL = "pip install './cli[ui]' from the repository root"


def default_aws_client(service: str, region: str | None) -> Any:
    """A boto3 client; AWS_ENDPOINT_URL and the credential chain apply as usual."""
    return boto3.session.Session(region_name=region).client(service)


def serve_console(console: RunningConsole) -> None:
    """Serve the console until Ctrl-C."""
    console.serve_forever()


def ask_on_terminal(prompt: str) -> str:
    """A question on stderr (stdout keeps the results), its answer from stdin; EOFError at
    the end of input, which counts as no."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        raise EOFError
    return answer


@dataclass
class Runtime:
    """Everything a command touches outside itself, so that tests can replace it."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    random: Callable[[], float] = random.random
    transport: Transport | None = None
    credentials: Callable[[], Any] = load_credentials
    aws_client: Callable[[str, str | None], Any] = default_aws_client
    run_terraform: TerraformRunner = run_terraform_output
    open_browser: Callable[[str], bool] = webbrowser.open
    serve_console: Callable[[RunningConsole], None] = serve_console
    ask: Callable[[str], str] = ask_on_terminal


################################################################################
# Arguments
################################################################################


class Parser(argparse.ArgumentParser):
    """Argument errors as one ``msgstatus: error:`` line, like every other error."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see {self.prog} --help)")


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def day(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or len(text) != 10:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}")
    return value


def api_options() -> Parser:
    common = Parser(add_help=False)
    where = common.add_argument_group("API")
    where.add_argument("--api-url", help="the API's base URL (else $MSGSTATUS_API_URL)")
    where.add_argument(
        "--terraform-dir", help="read the api_endpoint output of `terraform output -json` here"
    )
    where.add_argument("--region", help="region to sign for (else from the URL or $AWS_REGION)")
    auth = where.add_mutually_exclusive_group()
    auth.add_argument("--token", help="send 'Authorization: Bearer TOKEN' (else $MSGSTATUS_TOKEN)")
    auth.add_argument("--no-sign", action="store_true", help="send unsigned requests")
    return common


def add_get(commands: Any, common: Parser) -> None:
    get = commands.add_parser(
        "get", parents=[common], help="show messages by id", description="Show messages by id."
    )
    get.add_argument("ids", nargs="+", metavar="ID", help="message id")
    get.add_argument("--json", action="store_true", help="print the API's JSON documents")
    get.set_defaults(handler=cmd_get)


def add_watch(commands: Any, common: Parser) -> None:
    watch_ = commands.add_parser(
        "watch",
        parents=[common],
        help="wait until a message's status is final",
        description="Poll a message until its status is final. Exit 0: delivered; "
        "1: final and not delivered; 2: error; 3: timed out.",
    )
    watch_.add_argument("id", metavar="ID", help="message id")
    watch_.add_argument("--timeout", type=positive_number, default=300.0, metavar="SECONDS")
    watch_.add_argument("--interval", type=positive_number, default=2.0, metavar="SECONDS")
    watch_.set_defaults(handler=cmd_watch)


def add_search(commands: Any, common: Parser) -> None:
    search = commands.add_parser(
        "search",
        parents=[common],
        help="find messages by recipient, correlation id, SES tenant or status",
        description="Find messages, newest first.",
    )
    by = search.add_mutually_exclusive_group(required=True)
    by.add_argument("--recipient", metavar="ADDR", help="an email address or phone number")
    by.add_argument("--correlation-id", metavar="ID", help="your own id for the message")
    by.add_argument("--tenant", metavar="NAME", help="an SES tenant's name")
    by.add_argument(
        "--status", metavar="STATUS", help="a status (HARD_BOUNCED, ...) or group (failed, pending)"
    )
    search.add_argument("--since", metavar="ISO", help="start of the window (ISO-8601)")
    search.add_argument("--until", metavar="ISO", help="end of the window (ISO-8601)")
    search.add_argument(
        "--channel", choices=[c.value for c in Channel], help="status searches only"
    )
    search.add_argument(
        "--account", metavar="ID", help="only messages sent from this AWS account (12 digits)"
    )
    # Not --region: every command's --region is the Region requests are signed for.
    search.add_argument(
        "--sender-region",
        metavar="REGION",
        help="only messages sent in this AWS Region (eu-west-1)",
    )
    search.add_argument("--limit", type=positive_int, metavar="N", help="messages per page")
    search.add_argument("--cursor", metavar="C", help="continue from an earlier page")
    search.add_argument("--all", action="store_true", help="follow every next page")
    search.add_argument("--json", action="store_true", help="print the API's JSON page")
    search.set_defaults(handler=cmd_search)


def add_recipient(commands: Any, common: Parser) -> None:
    recipient = commands.add_parser(
        "recipient",
        parents=[common],
        help="a recipient's page: suppressed by SES? since when, why; latest messages",
        description="Show whether Amazon SES suppresses an address (its suppression list, read by "
        "the API), since when and because of which message, then the recipient's latest "
        "messages with this recipient's own status, newest first.",
    )
    recipient.add_argument("address", metavar="ADDRESS", help="an email address or phone number")
    recipient.add_argument(
        "--tenant", metavar="NAME", help="read this SES tenant's own suppression list"
    )
    recipient.add_argument("--limit", type=page_size, metavar="N", help="messages per page")
    recipient.add_argument("--cursor", metavar="C", help="continue from an earlier page")
    recipient.add_argument("--json", action="store_true", help="print the API's JSON page")
    recipient.add_argument(
        "--remove-from-suppression-list",
        action="store_true",
        help="remove the address from SES's suppression list with your own AWS credentials "
        "(not the API's), after asking",
    )
    recipient.add_argument(
        "--yes", action="store_true", help="with --remove-from-suppression-list: do not ask"
    )
    recipient.set_defaults(handler=cmd_recipient)


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535: {text!r}")
    return value


def page_size(text: str) -> int:
    value = positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"the API answers at most 100 a page: {text!r}")
    return value


def add_ui(commands: Any, common: Parser) -> None:
    ui = commands.add_parser(
        "ui",
        parents=[common],
        help="a local web console: find messages and follow them in a browser",
        description="Serve a web console on this computer: find messages by id, recipient or "
        "correlation id, list failures over a time range, follow a message until it is final, "
        "export lists as CSV. It calls the API itself, authorized as the other commands are; "
        "open the URL it prints (it holds a sign-in token). Ctrl-C stops it.",
    )
    ui.add_argument(
        "--port", type=port_number, default=0, help="port to listen on (default: a free one)"
    )
    ui.add_argument(
        "--host",
        default="127.0.0.1",
        help="IP address to listen on (default 127.0.0.1; loopback only, unless --allow-remote)",
    )
    ui.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that other machines can reach (they could use your credentials)",
    )
    ui.add_argument("--open", action="store_true", help="open the console in a web browser")
    ui.add_argument(
        "--interval",
        type=positive_number,
        default=2.0,
        metavar="SECONDS",
        help="first wait before a page refreshes a message that is not final (doubles, up to 30)",
    )
    ui.add_argument(
        "--page-size", type=page_size, default=50, metavar="N", help="messages a page (1 to 100)"
    )
    ui.set_defaults(handler=cmd_ui)


def add_replay(commands: Any) -> None:
    replay_ = commands.add_parser(
        "replay",
        help="re-send the records of Firehose error objects",
        description="Re-send the original records of Amazon Data Firehose error objects to the "
        "delivery stream, then move each fully re-sent object (or delete it).",
    )
    replay_.add_argument("--bucket", help="the archive bucket (else from --terraform-dir)")
    replay_.add_argument("--stream", help="the delivery stream (else from --terraform-dir)")
    replay_.add_argument("--terraform-dir", help="read archive_bucket_name, delivery_stream_name")
    replay_.add_argument("--region", help="AWS region (else the AWS configuration's)")
    replay_.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"default {DEFAULT_PREFIX}")
    replay_.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="first day (in the key)")
    replay_.add_argument("--until", type=day, metavar="YYYY-MM-DD", help="last day (in the key)")
    replay_.add_argument("--dry-run", action="store_true", help="read and count; change nothing")
    after = replay_.add_mutually_exclusive_group()
    after.add_argument("--delete-after", action="store_true", help="delete, instead of moving")
    after.add_argument(
        "--move-to", default=DEFAULT_MOVE_TO, metavar="PREFIX", help=f"default {DEFAULT_MOVE_TO}"
    )
    replay_.add_argument("--json", action="store_true", help="print the summary as JSON")
    replay_.set_defaults(handler=cmd_replay)


def build_parser() -> Parser:
    parser = Parser(
        prog="msgstatus",
        description="Look up, watch and search messages in the message status API, show a "
        "recipient's page; replay Firehose error objects; load history from S3.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = api_options()
    add_get(commands, common)
    add_watch(commands, common)
    add_search(commands, common)
    add_recipient(commands, common)
    add_ui(commands, common)
    add_replay(commands)
    add_backfill(commands)
    return parser


################################################################################
# Commands
################################################################################


def api_client(args: argparse.Namespace, runtime: Runtime) -> ApiClient:
    url = resolve_api_url(args.api_url, runtime.env, args.terraform_dir, runtime.run_terraform)
    token = args.token or (None if args.no_sign else runtime.env.get(TOKEN_ENV))
    region = resolve_region(args.region, url, runtime.env)
    auth = make_auth(not args.no_sign, token, region, runtime.credentials)
    return ApiClient(url, auth, runtime.transport or default_transport())


def cmd_get(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    client = api_client(args, runtime)
    ids = list(dict.fromkeys(args.ids))
    if len(ids) == 1:
        document = client.get_message(ids[0])
        found, missing = ([document], []) if document is not None else ([], ids)
    else:
        found, missing = client.get_many(ids)
    if args.json:
        if len(ids) == 1:
            if found:
                out.json(found[0])
        else:
            out.json(found)
    else:
        for index, document in enumerate(found):
            if index:
                out.line()
            for line in timeline_lines(document):
                out.line(line)
    for message_id in missing:
        out.note(f"msgstatus: not found: {message_id} (no events recorded for this id)")
    return EXIT_NOT_FOUND if missing else 0


def cmd_watch(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    client = api_client(args, runtime)
    failures = 0
    last: dict[str, Any] | None = None

    def fetch() -> dict[str, Any] | None:
        nonlocal failures, last
        try:
            last = client.get_message(args.id)
        except ApiError as err:
            if err.status not in TRANSIENT_STATUSES or failures >= MAX_TRANSIENT_FAILURES:
                raise
            failures += 1
            out.note(f"msgstatus: the API answered {err.status}, trying again: {err.message}")
            return last
        failures = 0
        return last

    result = watch(
        fetch,
        timeout=args.timeout,
        interval=args.interval,
        sleep=runtime.sleep,
        clock=runtime.clock,
        jitter=runtime.random,
        on_change=lambda elapsed, document: out.note(change_line(elapsed, document)),
    )
    if result.outcome is Outcome.PENDING or result.document is None:
        status = (result.document or {}).get("status") or "no events recorded"
        out.line(f"{args.id}: timed out after {args.timeout:g} s, {status} (not final)")
        return EXIT_TIMEOUT
    out.line(outcome_line(args.id, result.document))
    return EXIT_CODES[result.outcome]


def search_params(args: argparse.Namespace) -> dict[str, str]:
    """The query parameters of a search, without the cursor."""
    params = {
        "recipient": args.recipient,
        "correlation_id": args.correlation_id,
        "tenant": args.tenant,
        "status": args.status,
        "since": args.since,
        "until": args.until,
        "channel": args.channel,
        "account": args.account,
        "region": args.sender_region,
        "limit": None if args.limit is None else str(args.limit),
    }
    return {name: value for name, value in params.items() if value is not None}


def cmd_search(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    client = api_client(args, runtime)
    params = search_params(args)
    messages: list[dict[str, Any]] = []
    cursor: str | None = args.cursor
    pages = 0
    with out.progress("searching") as bar:
        task = bar.add_task("pages", total=None) if bar else None
        while True:
            page = client.search({**params, "cursor": cursor} if cursor else params)
            pages += 1
            messages.extend(page["messages"])
            next_cursor = page.get("next_cursor")
            if next_cursor is not None and next_cursor == cursor:
                raise CliError("the API answered the same cursor twice; stopping")
            cursor = next_cursor if isinstance(next_cursor, str) and next_cursor else None
            if not args.all or cursor is None:
                break
            if bar is not None and task is not None:
                bar.update(task, completed=len(messages))
            else:
                out.note(f"page {pages}: {len(messages)} messages so far")
    if args.json:
        out.json(page if pages == 1 else {"messages": messages, "next_cursor": cursor})
    elif messages:
        out.table(SEARCH_COLUMNS, [search_row(m) for m in messages])
    else:
        out.note("no messages found")
    if cursor is not None and not args.all:
        out.note(f"more messages: add --cursor {shlex.quote(cursor)} (or --all)")
    return 0


def cmd_recipient(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    if args.yes and not args.remove_from_suppression_list:
        raise CliError("--yes applies to --remove-from-suppression-list only")
    client = api_client(args, runtime)
    params = {"limit": args.limit, "cursor": args.cursor, "tenant": args.tenant}
    page = client.recipient(args.address, {k: str(v) for k, v in params.items() if v is not None})
    address = str(page.get("address"))
    if args.json:
        out.json(page)
    else:
        for line in recipient_lines(page):
            out.line(line)
        messages = [m for m in page["messages"] if isinstance(m, dict)]
        if messages:
            out.line("  messages     newest first, each with this recipient's own status")
            out.table(SEARCH_COLUMNS, [recipient_row(m, address) for m in messages])
        else:
            out.note("no messages found")
    cursor = page.get("next_cursor")
    if isinstance(cursor, str) and cursor:
        out.note(f"more messages: add --cursor {shlex.quote(cursor)}")
    if args.remove_from_suppression_list:
        return remove_from_suppression_list(args, runtime, out, page)
    return 0


def caller_identity(runtime: Runtime, region: str) -> str:
    """Whose AWS credentials a call will use: the ARN STS names, and the profile."""
    profile = runtime.env.get("AWS_PROFILE")
    source = f"profile {profile}" if profile else "the default credential chain"
    try:
        arn = runtime.aws_client("sts", region).get_caller_identity()["Arn"]
    except NoCredentialsError as err:
        raise CliError(f"no AWS credentials to remove the address with ({source})") from err
    except (ClientError, BotoCoreError) as err:
        arn = f"an identity STS did not name ({type(err).__name__})"
    return f"{arn} ({source})"


def remove_from_suppression_list(
    args: argparse.Namespace, runtime: Runtime, out: Output, page: dict[str, Any]
) -> int:
    """DeleteSuppressedDestination with the operator's own credentials, after asking.

    The API never removes anything: its role may only read one entry. The entry is
    removed as SES spells it (``listed_as``: SES matches case), in the API's Region,
    where the list it read lives.
    """
    suppression = page["suppression"]
    state = suppression.get("state")
    if state == "unknown":
        raise CliError(
            f"the API could not read the suppression state ({suppression.get('error_code')}): "
            "nothing removed; try again in a minute"
        )
    if state != "suppressed":
        where = (
            "a phone number is on no SES suppression list"
            if state == "not_applicable"
            else f"it is not on {list_name(suppression)}"
        )
        out.note(f"msgstatus: nothing to remove: {where}")
        return 0
    url = resolve_api_url(args.api_url, runtime.env, args.terraform_dir, runtime.run_terraform)
    region = resolve_region(args.region, url, runtime.env)
    if not region:
        raise CliError("no region for SES: pass --region (the Region the module is deployed in)")
    listed_as = str(suppression["listed_as"])
    where = f"{list_name(suppression)} in {region}"
    out.note(
        f"msgstatus: this removes {listed_as} from {where}, with your own AWS credentials: "
        f"{caller_identity(runtime, region)}"
    )
    if not args.yes and not confirmed(runtime, f"Remove {listed_as} from {where}? [y/N] "):
        out.note("msgstatus: nothing removed")
        return EXIT_NOT_REMOVED
    tenant = suppression.get("tenant")
    request = {"EmailAddress": listed_as, **({"TenantName": str(tenant)} if tenant else {})}
    try:
        runtime.aws_client("sesv2", region).delete_suppressed_destination(**request)
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code") or "Unknown")
        if code == "NotFoundException":
            out.note(f"msgstatus: {listed_as} was no longer on {where}")
            return 0
        message = err.response.get("Error", {}).get("Message") or ""
        raise CliError(f"SES did not remove {listed_as}: {code}: {message}") from err
    except BotoCoreError as err:
        raise CliError(f"SES did not remove {listed_as}: {err}") from err
    out.line(f"removed {listed_as} from {where}")
    out.note(
        "msgstatus: the API may still show it as suppressed for up to a minute "
        "(each function container reuses SES's answer for 60 s)"
    )
    return 0


def confirmed(runtime: Runtime, question: str) -> bool:
    try:
        answer = runtime.ask(question)
    except EOFError:  # no terminal, or the input ended: not a yes
        return False
    return answer.strip().lower() in {"y", "yes"}


def replay_targets(args: argparse.Namespace, runtime: Runtime) -> tuple[str, str | None]:
    """The bucket and the stream, from the flags or the terraform outputs."""
    bucket, stream = args.bucket, args.stream
    if args.terraform_dir and (not bucket or not stream):
        outputs = parse_outputs(runtime.run_terraform(args.terraform_dir))
        bucket = bucket or output_value(outputs, "archive_bucket_name", "--bucket")
        if not stream and not args.dry_run:
            stream = output_value(outputs, "delivery_stream_name", "--stream")
    if not bucket:
        raise CliError("no bucket: pass --bucket or --terraform-dir")
    return bucket, stream


def move_to_prefix(move_to: str, prefix: str) -> str:
    """The --move-to prefix, ending in "/".

    Keys under it are never replayed, so it must not hold the whole --prefix
    (``errors/`` would also move each object onto itself).
    """
    if not move_to.strip("/"):
        raise CliError("--move-to needs a prefix (or pass --delete-after)")
    move_to = move_to if move_to.endswith("/") else move_to + "/"
    if prefix.startswith(move_to):
        raise CliError(f"--move-to {move_to} holds --prefix {prefix}: pick a prefix beside it")
    return move_to


def auth_label(auth: Auth) -> str:
    if auth.mode == "sigv4":
        return f"signed with your AWS credentials (SigV4, {auth.region})"
    if auth.mode == "bearer":
        return "with a bearer token"
    return "unsigned requests"


def missing_console_package(err: ModuleNotFoundError) -> str | None:
    """The [ui] extra's package that an import failed for want of; None for any other."""
    package = (err.name or "").partition(".")[0]
    return package if package in UI_EXTRA_MODULES else None


def cmd_ui(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    # The other commands need none of this, and without the [ui] extra it is not installed.
    try:
        from msgstatus.ui.app import Settings  # noqa: PLC0415
        from msgstatus.ui.backend import Backend, CredentialCache  # noqa: PLC0415
        from msgstatus.ui.server import bind_host, prepare  # noqa: PLC0415
    except ModuleNotFoundError as err:
        package = missing_console_package(err)
        if package is None:  # a broken installation, not a missing extra
            raise
        raise CliError(
            f"msgstatus ui needs the client's [ui] extra (no module named {package!r}): "
            f"{UI_INSTALL}"
        ) from None

    ip, warning = bind_host(args.host, args.allow_remote)
    if warning:
        out.note(f"msgstatus: {warning}")
    url = resolve_api_url(args.api_url, runtime.env, args.terraform_dir, runtime.run_terraform)
    token = args.token or (None if args.no_sign else runtime.env.get(TOKEN_ENV))
    region = resolve_region(args.region, url, runtime.env)
    credentials = CredentialCache(runtime.credentials)
    sign = not args.no_sign
    try:
        auth = make_auth(sign, token, region, credentials)
    except NoCredentials as err:  # the page says so until there are some
        out.note(f"msgstatus: warning: {err}")
        auth = Auth("sigv4", region=region)
    transport = runtime.transport or default_transport()
    backend = Backend(
        lambda: ApiClient(url, make_auth(sign, token, region, credentials), transport),
        credentials.forget,
        page_size=args.page_size,
    )
    settings = Settings(url, auth_label(auth), interval_s=args.interval, page_size=args.page_size)
    console = prepare(settings, backend, ip, args.port)
    out.note(f"msgstatus: console for {url} ({settings.auth_label}); Ctrl-C stops it")
    out.note("msgstatus: open this address; its token signs you in, keep it private:")
    out.line(console.sign_in_url)
    if args.open and not runtime.open_browser(console.sign_in_url):
        out.note("msgstatus: could not open a browser: open the address above")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the way to stop it
        runtime.serve_console(console)
    out.note("msgstatus: console stopped")
    return 0


def cmd_replay(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    bucket, stream = replay_targets(args, runtime)
    options = ReplayOptions(
        bucket=bucket,
        stream=stream,
        prefix=args.prefix,
        since=args.since,
        until=args.until,
        dry_run=args.dry_run,
        delete_after=args.delete_after,
        move_to="" if args.delete_after else move_to_prefix(args.move_to, args.prefix),
    )
    try:
        s3 = runtime.aws_client("s3", args.region)
        firehose = None if options.dry_run else runtime.aws_client("firehose", args.region)
        with out.progress("replaying") as bar:
            task = bar.add_task("objects", total=None) if bar else None

            def progress(done: int, total: int) -> None:
                if bar is not None and task is not None:
                    bar.update(task, completed=done, total=total)
                elif done and done % PROGRESS_EVERY_OBJECTS == 0:
                    out.note(f"{done} of {total} objects")

            hooks = Hooks(runtime.sleep, runtime.random, out.note, progress)
            summary = replay(s3, firehose, options, hooks)
    except (ClientError, BotoCoreError) as err:
        raise CliError(f"AWS: {err}") from err
    if args.json:
        out.json(summary.as_dict())
    else:
        for line in summary.lines():
            out.line(line)
    return 0 if summary.ok else EXIT_REPLAY_FAILING


################################################################################
# Entry point
################################################################################


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run one command; its exit code. Errors are one line on stderr, never a traceback."""
    runtime = runtime or Runtime()
    out = Output(runtime.stdout, runtime.stderr)
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace, Runtime, Output], int] = args.handler
        return handler(args, runtime, out)
    except CliError as err:
        out.error(str(err))
        return err.exit_code
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
    except (BotoCoreError, ClientError, OSError) as err:
        out.error(f"{type(err).__name__}: {err}")
        return EXIT_ERROR
