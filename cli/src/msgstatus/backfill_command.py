"""``msgstatus backfill``: its arguments, where the deployment's facts come from, and its output.

The items a backfill writes must be the items the deployment's transform
would write, so its settings come from that function's own configuration
(GetFunctionConfiguration, the same environment variables the transform
reads: CORRELATION_KEY, RETENTION_DAYS, SEARCH_SHARDS), found by
``--terraform-dir``'s ``transform_function_name`` output or ``--function``.
Reading the deployed function, rather than terraform's state, gives what runs
now and needs no state access; ``--correlation-key`` overrides the key (an
archive of an older system may have used another).
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from message_status.item import ItemSettings
from message_status.settings import BadSetting, item_settings, setting, text
from message_status.store import WRITE_CONCURRENCY, MessageStore
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from msgstatus.backfill import (
    BackfillOptions,
    BackfillSummary,
    Hooks,
    Source,
    aws_failure,
    run_backfill,
)
from msgstatus.checkpoint import Checkpoint, default_path
from msgstatus.config import output_value, parse_outputs
from msgstatus.errors import CliError
from msgstatus.output import Output
from msgstatus.pacing import PacedWrites, WriteBudget

if TYPE_CHECKING:
    from msgstatus.main import Runtime

DEFAULT_PREFIX = "events/"
DEFAULT_MAX_WCU = 100.0
EXIT_INCOMPLETE = 1
EXIT_INTERRUPTED = 130
PROGRESS_EVERY_OBJECTS = 100
# One thread writes a few hundred units a second (~5 ms a PutItem of 1-4 units):
# enough threads for the budget, and no more, so that pacing stays smooth.
UNITS_PER_THREAD = 200


def write_budget(text_value: str) -> float:
    try:
        value = float(text_value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text_value!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be more than 0: {text_value!r}")
    return value


def add_backfill(commands: Any) -> None:
    backfill = commands.add_parser(
        "backfill",
        help="load history from S3 into the table (also: rebuild it)",
        description="Read every object under an S3 prefix (events as Firehose writes them: "
        "SES, End User Messaging SMS v2 or Pinpoint events, the module's archive lines, "
        "Firehose's error records; gzip or not) and merge their events into the table as the "
        "transform does. Safe to repeat and to run beside live traffic; resumable. Exit 0: "
        "done; 1: done, but some records could not be parsed or some messages not written; "
        "2: error; 130: interrupted (run it again to resume).",
    )
    backfill.add_argument(
        "source",
        nargs="?",
        metavar="S3_URL",
        help=f"s3://bucket/prefix (default: the deployment's archive, {DEFAULT_PREFIX})",
    )
    backfill.add_argument(
        "--terraform-dir",
        help="read archive_bucket_name, table_name, table_arn and transform_function_name here",
    )
    backfill.add_argument(
        "--prefix", help=f"prefix in the deployment's archive (default {DEFAULT_PREFIX})"
    )
    backfill.add_argument("--table", help="the table (else from --terraform-dir)")
    backfill.add_argument(
        "--function",
        help="the transform function, whose settings the items follow (else from --terraform-dir)",
    )
    backfill.add_argument("--region", help="AWS region (else the table's, or the configuration's)")
    backfill.add_argument(
        "--correlation-key",
        metavar="KEY",
        help="the tag, Context or attribute key of your own id in raw events (else the "
        "function's; '' for none)",
    )
    backfill.add_argument(
        "--max-wcu",
        type=write_budget,
        default=DEFAULT_MAX_WCU,
        metavar="N",
        help=f"write units a second at most, indexes included (default {DEFAULT_MAX_WCU:g})",
    )
    backfill.add_argument("--checkpoint", metavar="FILE", help="the checkpoint file to use")
    backfill.add_argument(
        "--restart", action="store_true", help="forget the checkpoint: read every object again"
    )
    backfill.add_argument(
        "--dry-run", action="store_true", help="read, parse and count; write nothing"
    )
    backfill.add_argument(
        "--publish-events",
        action="store_true",
        help="publish status changes for what is written (default: quiet writes)",
    )
    backfill.add_argument("--json", action="store_true", help="print the summary as JSON")
    backfill.set_defaults(handler=cmd_backfill)


################################################################################
# Where things are
################################################################################


@dataclass(frozen=True)
class Targets:
    source: Source
    table: str | None
    function: str | None
    region: str | None


def resolve_targets(args: argparse.Namespace, runtime: Runtime) -> Targets:
    """The source, table, function and region, from the arguments and terraform's outputs."""
    outputs: dict[str, Any] = {}
    if args.terraform_dir:
        outputs = parse_outputs(runtime.run_terraform(args.terraform_dir))
    if args.source:
        if args.prefix is not None:
            raise CliError("--prefix goes with the deployment's archive: put it in the S3 URL")
        source = Source.parse(args.source)
    elif outputs:
        bucket = output_value(outputs, "archive_bucket_name", "an s3:// URL")
        source = Source(bucket, DEFAULT_PREFIX if args.prefix is None else args.prefix)
    else:
        raise CliError("no source: pass s3://bucket/prefix or --terraform-dir")
    table = args.table
    if not table and outputs and not args.dry_run:
        table = output_value(outputs, "table_name", "--table")
    function = args.function
    if not function and outputs and (not args.dry_run or args.correlation_key is None):
        function = output_value(outputs, "transform_function_name", "--function")
    region = args.region
    if not region and isinstance(outputs.get("table_arn"), str):
        region = outputs["table_arn"].split(":")[3] or None
    return Targets(source, table, function, region)


@dataclass(frozen=True)
class WriteSettings:
    item: ItemSettings
    correlation_key: str | None
    region: str | None = None  # the transform's Region (where a source event names none)


def function_configuration(lambda_client: Any, function: str) -> Mapping[str, Any]:
    """The transform's configuration, as deployed."""
    try:
        return dict(lambda_client.get_function_configuration(FunctionName=function))
    except (ClientError, BotoCoreError) as err:
        doing = f"reading the settings of function {function} (the items follow them)"
        raise aws_failure(err, doing) from err


def function_variables(config: Mapping[str, Any], function: str) -> Mapping[str, str]:
    """The transform's environment variables, from its configuration."""
    environment = config.get("Environment") or {}
    if environment.get("Error"):
        code = environment["Error"].get("ErrorCode", "Unknown")
        raise CliError(f"the environment of function {function} cannot be read ({code})")
    return dict(environment.get("Variables") or {})


def write_settings(
    variables: Mapping[str, str], correlation_key: str | None, region: str | None = None
) -> WriteSettings:
    """What the transform reads from these variables (transform/app.py's settings())."""
    try:
        item = item_settings(variables)
        key = setting("CORRELATION_KEY", text, None, variables)
    except BadSetting as err:
        raise CliError(f"the transform's settings: {err}") from err
    if correlation_key is not None:
        key = correlation_key or None
    return WriteSettings(item, key, region)


def deployment_settings(
    args: argparse.Namespace, targets: Targets, runtime: Runtime
) -> WriteSettings:
    if targets.function is None:
        if not args.dry_run:
            raise CliError(
                "the items must follow the deployment's settings: pass --terraform-dir or "
                "--function (the transform function)"
            )
        return write_settings({}, args.correlation_key, targets.region)
    config = function_configuration(runtime.aws_client("lambda", targets.region), targets.function)
    return write_settings(
        function_variables(config, targets.function),
        args.correlation_key,
        function_region(config) or targets.region,
    )


def function_region(config: Mapping[str, Any]) -> str | None:
    """The function's own Region, from its ARN: where the transform records that an event
    naming none was sent (it reads AWS_REGION, which Lambda sets to it)."""
    parts = str(config.get("FunctionArn", "")).split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


################################################################################
# Progress and output
################################################################################


def progress_line(summary: BackfillSummary) -> str:
    return (
        f"{summary.objects_read + summary.objects_already_done} of {summary.objects_listed} "
        f"objects listed so far, {summary.events} events, {summary.messages} messages, "
        f"{summary.write_units:.0f} write units"
    )


@contextlib.contextmanager
def progress_hook(out: Output) -> Iterator[Any]:
    """Objects, events, messages and write units: a rich bar on a terminal, else a line
    every PROGRESS_EVERY_OBJECTS objects."""
    if not out.interactive:

        def note(summary: BackfillSummary) -> None:
            done = summary.objects_read + summary.objects_already_done
            if done and done % PROGRESS_EVERY_OBJECTS == 0:
                out.note(progress_line(summary))

        yield note
        return
    bar = Progress(
        TextColumn("backfill"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "objects · {task.fields[events]} events · {task.fields[messages]} messages · "
            "{task.fields[units]} WRU"
        ),
        TimeElapsedColumn(),
        console=out.err,
        transient=True,
    )
    with bar:
        task = bar.add_task("objects", total=None, events=0, messages=0, units=0)

        def update(summary: BackfillSummary) -> None:
            bar.update(
                task,
                completed=summary.objects_read + summary.objects_already_done,
                total=summary.objects_listed,
                events=summary.events,
                messages=summary.messages,
                units=f"{summary.write_units:.0f}",
            )

        yield update


def print_summary(summary: BackfillSummary, as_json: bool, out: Output) -> None:
    if as_json:
        out.json(summary.as_dict())
    else:
        for line in summary.lines():
            out.line(line)


################################################################################
# The command
################################################################################


def open_checkpoint(
    args: argparse.Namespace, source: Source, table: str, runtime: Runtime
) -> Checkpoint:
    path = Path(args.checkpoint) if args.checkpoint else None
    path = path or default_path(runtime.env, source.url, table)
    return Checkpoint(path, source.url, table, restart=args.restart)


def paced_store(
    args: argparse.Namespace,
    targets: Targets,
    item: ItemSettings,
    budget: WriteBudget,
    runtime: Runtime,
) -> MessageStore:
    """The transform's store, its writes paced by ``budget`` and quiet unless asked."""
    assert targets.table is not None  # noqa: S101 - only called with a table
    return MessageStore(
        PacedWrites(runtime.aws_client("dynamodb", targets.region), budget),
        targets.table,
        item,
        write_concurrency=min(WRITE_CONCURRENCY, math.ceil(args.max_wcu / UNITS_PER_THREAD)),
        sleep=runtime.sleep,
        quiet=not args.publish_events,
    )


def cmd_backfill(args: argparse.Namespace, runtime: Runtime, out: Output) -> int:
    targets = resolve_targets(args, runtime)
    if not args.dry_run and not targets.table:
        raise CliError("no table to write to: pass --table or --terraform-dir (or --dry-run)")
    settings = deployment_settings(args, targets, runtime)
    options = BackfillOptions(
        source=targets.source,
        table=targets.table,
        correlation_key=settings.correlation_key,
        region=settings.region,
        item=settings.item,
        dry_run=args.dry_run,
        publish_events=args.publish_events,
    )
    budget = WriteBudget(args.max_wcu, runtime.clock, runtime.sleep)
    checkpoint, store = None, None
    if targets.table is not None and not args.dry_run:
        checkpoint = open_checkpoint(args, targets.source, targets.table, runtime)
        store = paced_store(args, targets, settings.item, budget, runtime)
    summary = BackfillSummary(
        source=targets.source.url,
        table=targets.table,
        dry_run=args.dry_run,
        publish_events=args.publish_events,
        checkpoint=None if checkpoint is None else str(checkpoint.path),
    )
    try:
        s3 = runtime.aws_client("s3", targets.region)
        with progress_hook(out) as progress:
            hooks = Hooks(
                sleep=runtime.sleep,
                clock=runtime.clock,
                jitter=runtime.random,
                progress=progress,
                write_units=lambda: budget.used,
                throttled=lambda: budget.throttled,
            )
            run_backfill(s3, store, options, checkpoint=checkpoint, hooks=hooks, summary=summary)
    except KeyboardInterrupt:
        print_summary(summary, args.json, out)
        out.note("msgstatus: interrupted: run the same command again to resume")
        return EXIT_INTERRUPTED
    except (ClientError, BotoCoreError) as err:
        raise aws_failure(err, "backfill") from err
    finally:
        if checkpoint is not None:
            checkpoint.close()
    print_summary(summary, args.json, out)
    return 0 if summary.ok else EXIT_INCOMPLETE
