"""`make smoke`: the module end to end in your own AWS account, with AWS's simulators.

Opt-in, never part of `make test` or CI: it uses your AWS credentials and costs a few
cents. Nothing is sent before ``--confirm`` (``make smoke CONFIRM=1``).

1. The deployment: ``--terraform-dir DIR`` reads an existing one from that root module's
   state (``terraform show -json``: its outputs, and the module's SES event destinations
   and correlation key), and never changes it. Without it, examples/basic is applied
   from a temporary copy of this repository (a random name, ``--region``) and destroyed
   at the end: the smoke destroys only what it created.
2. When status events are on, a temporary rule on the module's bus sends the "Message
   Status Changed" events of this run's messages (matched by the run's correlation id, or
   by message id) to a temporary SQS queue; both are deleted at the end.
3. One mail per SES mailbox simulator outcome (success, bounce, complaint, out-of-office,
   suppression list) from ``--from`` through the deployment's configuration set, tagged
   with the run id as the module's correlation key; with ``--sms-configuration-set`` and
   ``--sms-origination-identity``, one text to each End User Messaging simulator number
   (success, failure) with the run id in its context. See devkit.simulator for the
   addresses, the numbers and the documentation they come from.
4. It polls the API (SigV4, msgstatus's own client) until each message shows the status
   the module's parser gives the documented simulator events, or ``--timeout`` passes,
   and checks each one's status event and the correlation search.
5. It prints, for each message, the outcome sent, the status expected and reached and the
   time from send to visible status, then a summary line. Exit code 0 only when every
   message reached its status (and its event, and the correlation search found it) in
   time; 1 when one did not; 2 when the smoke could not run.

    python -m devkit.smoke --confirm --from you@example.com [--terraform-dir DIR] ...
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from message_status.model import Channel
from msgstatus.api import ApiClient, make_auth, urllib3_transport
from msgstatus.errors import CliError

from devkit import terraform
from devkit.deployments import (
    Deployment,
    DeploymentError,
    Runner,
    Terraform,
    account_environment,
    read_deployment,
    throwaway,
)
from devkit.simulator import (
    DEFAULT_SMS_COUNTRY,
    EMAIL_SCENARIOS,
    SMS_SIMULATOR_NUMBERS,
    Expectation,
    Scenario,
    expectations,
    sms_scenarios,
)

DEFAULT_TIMEOUT_S = 600.0  # SES events reach the table after Firehose's buffer (60 s by default)
DEFAULT_POLL_S = 10.0
# The SES sandbox sends at most one message per second; the simulator counts too.
SEND_INTERVAL_S = 1.1
MAX_SEARCH_PAGES = 10
QUEUE_RETENTION_S = 3600
CONFIRM_VALUES = ("1", "yes", "true")
SDK_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="message-status-smoke"
)
COST_NOTE = (
    "make smoke sends real email through the SES mailbox simulator (and, with the SMS "
    "settings, real SMS to End User Messaging's simulator numbers) from your AWS account; "
    "without TERRAFORM_DIR it also applies examples/basic there and destroys it after. It "
    "uses your AWS credentials and costs a few cents."
)


class SmokeError(Exception):
    """Something the user must fix; printed as one line, no traceback."""


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    sender: str | None = None
    terraform_dir: Path | None = None
    region: str | None = None
    configuration_set: str | None = None
    api_url: str | None = None
    sms_configuration_set: str | None = None
    sms_origination_identity: str | None = None
    sms_country: str = DEFAULT_SMS_COUNTRY
    timeout_s: float = DEFAULT_TIMEOUT_S
    poll_s: float = DEFAULT_POLL_S
    send_interval_s: float = SEND_INTERVAL_S
    name: str | None = None
    confirm: bool = False

    @property
    def sms(self) -> bool:
        return bool(self.sms_configuration_set and self.sms_origination_identity)


def check_settings(settings: Settings) -> None:
    """What can be checked without AWS: SmokeError names the setting to fix."""
    if not settings.sender or "@" not in settings.sender:
        raise SmokeError("no sender: pass FROM=<an SES identity verified in the Region> (--from)")
    if bool(settings.sms_configuration_set) != bool(settings.sms_origination_identity):
        raise SmokeError(
            "SMS needs both SMS_CONFIGURATION_SET and SMS_ORIGINATION_IDENTITY "
            "(--sms-configuration-set, --sms-origination-identity), or neither"
        )
    if settings.sms_country not in SMS_SIMULATOR_NUMBERS:
        raise SmokeError(
            f"no simulator numbers for {settings.sms_country!r}: "
            f"use one of {', '.join(sorted(SMS_SIMULATOR_NUMBERS))}"
        )
    if settings.timeout_s <= 0 or settings.poll_s <= 0:
        raise SmokeError("TIMEOUT and POLL must be positive numbers of seconds")
    if settings.terraform_dir is not None and not settings.terraform_dir.is_dir():
        raise SmokeError(f"TERRAFORM_DIR {settings.terraform_dir} is not a directory")


# --- the account ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clients:
    sesv2: Any
    sms: Any  # pinpoint-sms-voice-v2 (AWS End User Messaging SMS v2)
    sqs: Any
    events: Any


class Account(Protocol):
    """Where the smoke runs: the real account (AwsAccount), or the emulator in the tests."""

    def identity(self) -> str: ...

    def default_region(self) -> str | None: ...

    def clients(self, region: str) -> Clients: ...

    def api(self, url: str, region: str) -> ApiClient: ...

    def terraform(self, scratch: Path | None) -> Runner:
        """A runner for the throwaway copy under ``scratch``, or (None) for the user's
        own root module, with the user's environment."""
        ...


@dataclass
class AwsAccount:
    """The caller's own account, through boto3's credential chain."""

    session: Any

    @classmethod
    def from_environment(cls, region: str | None) -> AwsAccount:
        try:
            session = boto3.Session(region_name=region)
            credentials = session.get_credentials()
        except BotoCoreError as err:
            raise SmokeError(f"could not load AWS credentials: {err}") from err
        if credentials is None:
            raise SmokeError(
                "no AWS credentials found: configure them (aws configure, AWS_PROFILE, SSO or "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run again; nothing was sent"
            )
        return cls(session)

    def identity(self) -> str:
        try:
            caller = self.session.client("sts", config=SDK_CONFIG).get_caller_identity()
        except (ClientError, BotoCoreError) as err:
            raise SmokeError(f"the AWS credentials do not work: {err}") from err
        return f"account {caller['Account']} as {caller['Arn']}"

    def default_region(self) -> str | None:
        return str(self.session.region_name) if self.session.region_name else None

    def clients(self, region: str) -> Clients:
        def client(service: str) -> Any:
            return self.session.client(service, region_name=region, config=SDK_CONFIG)

        return Clients(
            sesv2=client("sesv2"),
            sms=client("pinpoint-sms-voice-v2"),
            sqs=client("sqs"),
            events=client("events"),
        )

    def api(self, url: str, region: str) -> ApiClient:
        frozen = self.session.get_credentials().get_frozen_credentials()
        return ApiClient(url, make_auth(True, None, region, lambda: frozen), urllib3_transport())

    def terraform(self, scratch: Path | None) -> Runner:
        if scratch is None:
            return Terraform(dict(os.environ))
        return Terraform(account_environment(scratch), scratch / "terraform.log")


@contextmanager
def deployment_dir(
    settings: Settings, account: Account, say: Callable[[str], None]
) -> Iterator[tuple[Path, Runner]]:
    """The root module to read: the user's (untouched), or a throwaway examples/basic."""
    if settings.terraform_dir is not None:
        say(f"deployment: the root module in {settings.terraform_dir} (read only)")
        yield settings.terraform_dir, account.terraform(None)
        return
    region = settings.region or account.default_region()
    if not region:
        raise SmokeError("no Region for the throwaway deployment: pass REGION=<region>")
    name = settings.name or f"msgstatus-smoke-{secrets.token_hex(3)}"
    with throwaway(account.terraform, region, name, say) as applied:
        yield applied


# --- sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A message the smoke sent, and when (on the smoke's clock)."""

    scenario: Scenario
    message_id: str
    sent_at: float
    correlation: tuple[str, str] | None

    @property
    def expected(self) -> frozenset[Expectation]:
        return expectations(self.scenario)


def new_run_id() -> str:
    """An id for this run: the correlation id of its messages, and its AWS resource names."""
    return f"smoke-{time.strftime('%Y%m%dt%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def send_email(
    run: Run, scenario: Scenario, configuration_set: str, correlation: tuple[str, str] | None
) -> str:
    """One mail to ``scenario``'s simulator address; its SES message id."""
    sender = str(run.settings.sender)
    tags = [{"Name": correlation[0], "Value": correlation[1]}] if correlation else []
    try:
        response = run.clients.sesv2.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [scenario.address]},
            Content={
                "Simple": {
                    "Subject": {"Data": f"message-status smoke {run.run_id}: {scenario.outcome}"},
                    "Body": {
                        "Text": {
                            "Data": "Sent by `make smoke` of the message-status module to the "
                            "Amazon SES mailbox simulator."
                        }
                    },
                }
            },
            ConfigurationSetName=configuration_set,
            **({"EmailTags": tags} if tags else {}),
        )
    except ClientError as err:
        error = err.response.get("Error", {})
        raise SmokeError(
            f"SES refused the mail to {scenario.address}: {error.get('Code')}: "
            f"{error.get('Message')} (is {sender} verified, and does configuration set "
            f"{configuration_set!r} exist, in this Region?)"
        ) from err
    return str(response["MessageId"])


def send_sms(run: Run, scenario: Scenario, correlation: tuple[str, str] | None) -> str:
    """One text to ``scenario``'s simulator number; its End User Messaging message id."""
    settings = run.settings
    try:
        response = run.clients.sms.send_text_message(
            DestinationPhoneNumber=scenario.address,
            OriginationIdentity=settings.sms_origination_identity,
            MessageBody=f"message-status smoke {run.run_id}: {scenario.outcome}",
            MessageType="TRANSACTIONAL",
            ConfigurationSetName=settings.sms_configuration_set,
            **({"Context": dict([correlation])} if correlation else {}),
        )
    except ClientError as err:
        error = err.response.get("Error", {})
        raise SmokeError(
            f"End User Messaging refused the text to {scenario.address}: {error.get('Code')}: "
            f"{error.get('Message')} (a US simulator origination number can send only to US "
            "simulator numbers)"
        ) from err
    return str(response["MessageId"])


def configuration_set_for(
    deployment: Deployment, settings: Settings, say: Callable[[str], None]
) -> str:
    """CONFIGURATION_SET, else the one SES configuration set the deployment streams."""
    sets = deployment.configuration_sets
    if settings.configuration_set:
        if sets and settings.configuration_set not in sets:
            say(
                f"warning: the module streams {', '.join(sets)}, not "
                f"{settings.configuration_set!r}: its events may not reach this deployment"
            )
        return settings.configuration_set
    if len(sets) == 1:
        return sets[0]
    if not sets:
        raise SmokeError(
            "the deployment streams no SES configuration set: pass CONFIGURATION_SET=<name> "
            "of a set whose events reach its delivery stream"
        )
    raise SmokeError(
        f"the deployment streams several SES configuration sets ({', '.join(sets)}): "
        "pass CONFIGURATION_SET=<one of them>"
    )


# --- status events -------------------------------------------------------------------------


def queue_policy(queue_arn: str, rule_arn: str) -> str:
    """Only this rule may send to the queue ("Amazon SQS permissions", EventBridge User Guide:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "SmokeRuleOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


def status_pattern(deployment: Deployment, detail: Mapping[str, list[str]]) -> str:
    return json.dumps(
        {
            "source": [deployment.event_source],
            "detail-type": [deployment.event_detail_type],
            "detail": dict(detail),
        }
    )


class StatusWatch:
    """A temporary rule on the module's bus to a temporary queue, for this run's events."""

    def __init__(
        self,
        clients: Clients,
        deployment: Deployment,
        name: str,
        detail: Mapping[str, list[str]],
        say: Callable[[str], None],
    ) -> None:
        self.clients = clients
        self.bus = str(deployment.event_bus)
        self.name = name
        self.pattern = status_pattern(deployment, detail)
        self.say = say
        self.queue_url: str | None = None
        self.rule_created = False

    def __enter__(self) -> StatusWatch:
        sqs, events = self.clients.sqs, self.clients.events
        try:
            self.queue_url = str(
                sqs.create_queue(
                    QueueName=self.name,
                    Attributes={
                        "MessageRetentionPeriod": str(QUEUE_RETENTION_S),
                        "SqsManagedSseEnabled": "true",
                    },
                    tags={"created-by": "message-status-smoke"},
                )["QueueUrl"]
            )
            queue_arn = sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            rule_arn = events.put_rule(
                Name=self.name,
                EventBusName=self.bus,
                EventPattern=self.pattern,
                State="ENABLED",
                Description="make smoke of the message-status module: temporary",
            )["RuleArn"]
            self.rule_created = True
            sqs.set_queue_attributes(
                QueueUrl=self.queue_url, Attributes={"Policy": queue_policy(queue_arn, rule_arn)}
            )
            events.put_targets(
                Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "queue", "Arn": queue_arn}]
            )
        except ClientError as err:
            self.__exit__()
            raise SmokeError(f"could not set up the status-event rule and queue: {err}") from err
        self.say(f"status events: rule {self.name} on bus {self.bus} -> queue {self.name}")
        return self

    def receive(self) -> list[dict[str, Any]]:
        """The events that arrived since the last call (each once)."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.clients.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = page.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(json.loads(message["Body"]))
                self.clients.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def __exit__(self, *_: object) -> None:
        steps: list[tuple[str, Callable[[], Any]]] = []
        if self.rule_created:
            events = self.clients.events
            steps += [
                (
                    f"the targets of rule {self.name}",
                    lambda: events.remove_targets(
                        Rule=self.name, EventBusName=self.bus, Ids=["queue"]
                    ),
                ),
                (
                    f"rule {self.name}",
                    lambda: events.delete_rule(Name=self.name, EventBusName=self.bus),
                ),
            ]
        if self.queue_url:
            url = self.queue_url
            steps.append((f"queue {url}", lambda: self.clients.sqs.delete_queue(QueueUrl=url)))
        for what, step in steps:
            try:
                step()
            except ClientError as err:
                self.say(f"could not delete {what} ({err}): delete it by hand")


# --- waiting -------------------------------------------------------------------------------


@dataclass
class Watched:
    """What the smoke saw of one message."""

    sent: Sent
    status: str | None = None
    final: bool = False
    reached_after_s: float | None = None
    events: list[Expectation] = field(default_factory=list)
    event_after_s: float | None = None

    @property
    def reached(self) -> bool:
        return self.reached_after_s is not None

    @property
    def event_seen(self) -> bool:
        return self.event_after_s is not None

    def observe(self, document: Mapping[str, Any], now: float) -> bool:
        """Take the API's document into account; True when it first shows the expected status."""
        self.status, self.final = str(document.get("status")), bool(document.get("is_final"))
        if not self.reached and Expectation(self.status, self.final) in self.sent.expected:
            self.reached_after_s = now - self.sent.sent_at
            return True
        return False

    def observe_event(self, detail: Mapping[str, Any], now: float) -> None:
        seen = Expectation(str(detail.get("status")), bool(detail.get("is_final")))
        self.events.append(seen)
        if not self.event_seen and seen in self.sent.expected:
            self.event_after_s = now - self.sent.sent_at


@dataclass
class Waiter:
    api: ApiClient
    watch: StatusWatch | None
    timeout_s: float
    poll_s: float
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    say: Callable[[str], None]

    def expired(self, item: Watched, now: float) -> bool:
        """Past its own timeout: what the smoke sees of it from now on does not count."""
        return now - item.sent.sent_at > self.timeout_s

    def settled(self, item: Watched, now: float) -> bool:
        done = item.reached and (self.watch is None or item.event_seen)
        return done or self.expired(item, now)

    def wait(self, sent: Sequence[Sent]) -> list[Watched]:
        watched = {s.message_id: Watched(s) for s in sent}
        self.say(
            f"waiting for each message's status on the API (up to {self.timeout_s:g} s each, "
            f"polling every {self.poll_s:g} s)"
        )
        while True:
            self.poll(watched)
            now = self.clock()
            if all(self.settled(item, now) for item in watched.values()):
                return list(watched.values())
            self.sleep(self.poll_s)

    def poll(self, watched: Mapping[str, Watched]) -> None:
        now = self.clock()
        live = {i: item for i, item in watched.items() if not self.expired(item, now)}
        pending = [i for i, item in live.items() if not item.reached]
        if pending:
            found, _missing = self.api.get_many(pending)
            now = self.clock()
            for document in found:
                item = live.get(str(document.get("message_id")))
                if item is not None and item.observe(document, now):
                    self.say(
                        f"  {item.sent.scenario.outcome:<17} {item.status} "
                        f"{'final' if item.final else 'not final'} after "
                        f"{item.reached_after_s:.1f} s"
                    )
        if self.watch is not None:
            events = self.watch.receive()  # drained every time: the queue holds nothing else
            now = self.clock()
            for event in events:
                detail = event.get("detail") or {}
                item = live.get(str(detail.get("message_id")))
                if item is not None:
                    item.observe_event(detail, now)


def correlation_search(api: ApiClient, correlation_id: str) -> set[str]:
    """The ids GET /messages?correlation_id= finds (all its pages, up to a bound)."""
    found: set[str] = set()
    params = {"correlation_id": correlation_id}
    for _ in range(MAX_SEARCH_PAGES):
        page = api.search(params)
        found |= {str(document["message_id"]) for document in page["messages"]}
        cursor = page.get("next_cursor")
        if not cursor:
            break
        params = {"correlation_id": correlation_id, "cursor": str(cursor)}
    return found


# --- the report ----------------------------------------------------------------------------


@dataclass
class Report:
    run_id: str
    watched: list[Watched]
    status_events: bool
    correlation_found: set[str] | None  # None: no correlation key, not checked

    @property
    def reached(self) -> int:
        return sum(item.reached for item in self.watched)

    @property
    def events_seen(self) -> int:
        return sum(item.event_seen for item in self.watched)

    @property
    def correlated(self) -> int:
        found = self.correlation_found or set()
        return sum(item.sent.message_id in found for item in self.watched)

    @property
    def passed(self) -> bool:
        total = len(self.watched)
        return (
            total > 0
            and self.reached == total
            and (not self.status_events or self.events_seen == total)
            and (self.correlation_found is None or self.correlated == total)
        )

    def summary(self) -> str:
        total = len(self.watched)
        parts = [f"{self.reached}/{total} messages reached their expected status in time"]
        if self.status_events:
            parts.append(f"{self.events_seen}/{total} status events")
        if self.correlation_found is not None:
            parts.append(f"correlation search found {self.correlated}/{total}")
        verdict = "PASSED" if self.passed else "FAILED"
        return f"smoke {verdict}: {'; '.join(parts)} (run {self.run_id})"


def expected_text(expected: frozenset[Expectation]) -> str:
    statuses = " or ".join(sorted({e.status for e in expected}))
    finals = {e.final for e in expected}
    return f"{statuses} {'final' if finals == {True} else 'any'}"


def report_lines(report: Report, timeout_s: float) -> list[str]:
    head = (
        f"{'outcome':<17} {'channel':<7} {'to':<40} {'expected':<24} {'reached':<24} {'after':>8}"
    )
    lines = [head + ("  event" if report.status_events else "")]
    for item in report.watched:
        reached = f"{item.status} {'final' if item.final else 'not final'}" if item.status else "-"
        after = f"{item.reached_after_s:.1f} s" if item.reached_after_s is not None else "timed out"
        line = (
            f"{item.sent.scenario.outcome:<17} {item.sent.scenario.channel.value:<7} "
            f"{item.sent.scenario.address:<40} {expected_text(item.sent.expected):<24} "
            f"{reached:<24} {after:>8}"
        )
        if report.status_events:
            line += f"  {f'{item.event_after_s:.1f} s' if item.event_seen else 'none'}"
        lines.append(line)
    if any(not item.reached for item in report.watched):
        lines.append(f"(timed out: no expected status within {timeout_s:g} s of the send)")
    lines.append(report.summary())
    return lines


# --- the run -------------------------------------------------------------------------------


@dataclass
class Hooks:
    """What the tests replace: the clock, sleeping, and what happens once everything is sent
    (in AWS, nothing: the services deliver the events; on the emulator, a feeder)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    after_send: Callable[[Sequence[Sent]], None] = lambda _sent: None


@dataclass
class Run:
    deployment: Deployment
    settings: Settings
    clients: Clients
    api: ApiClient
    say: Callable[[str], None]
    hooks: Hooks = field(default_factory=Hooks)
    run_id: str = field(default_factory=new_run_id)


def send_all(run: Run, configuration_set: str, correlation: tuple[str, str] | None) -> list[Sent]:
    settings, clock = run.settings, run.hooks.clock
    scenarios = list(EMAIL_SCENARIOS)
    if settings.sms:
        scenarios += sms_scenarios(settings.sms_country)
    sent = []
    for index, scenario in enumerate(scenarios):
        if index:
            run.hooks.sleep(settings.send_interval_s)
        if scenario.channel is Channel.EMAIL:
            message_id = send_email(run, scenario, configuration_set, correlation)
        else:
            message_id = send_sms(run, scenario, correlation)
        sent.append(Sent(scenario, message_id, clock(), correlation))
    run.say(
        f"sent {len(sent)} messages ({sum(s.scenario.channel is Channel.SMS for s in sent)} SMS)"
    )
    return sent


def smoke(run: Run) -> Report:
    """Send, wait, check, clean up; the report is printed and returned."""
    deployment, settings, say = run.deployment, run.settings, run.say
    configuration_set = configuration_set_for(deployment, settings, say)
    correlation = (deployment.correlation_key, run.run_id) if deployment.correlation_key else None
    say(
        f"sending from {settings.sender} through configuration set {configuration_set!r}"
        + (f", tagged {correlation[0]}={correlation[1]}" if correlation else "")
    )
    with ExitStack() as cleanup:
        watch = None
        if deployment.status_events and correlation:
            # Before sending: every event of the run carries its correlation id.
            watch = cleanup.enter_context(
                StatusWatch(
                    run.clients, deployment, run.run_id, {"correlation_id": [run.run_id]}, say
                )
            )
        sent = send_all(run, configuration_set, correlation)
        if deployment.status_events and watch is None:
            # Without a correlation key, the rule can only name the ids SES returned; the
            # first events reach the bus after Firehose's buffer, well after this.
            ids = [s.message_id for s in sent]
            watch = cleanup.enter_context(
                StatusWatch(run.clients, deployment, run.run_id, {"message_id": ids}, say)
            )
        run.hooks.after_send(sent)
        waiter = Waiter(
            run.api,
            watch,
            settings.timeout_s,
            settings.poll_s,
            run.hooks.clock,
            run.hooks.sleep,
            say,
        )
        watched = waiter.wait(sent)
        found = correlation_search(run.api, run.run_id) if correlation else None
    report = Report(run.run_id, watched, deployment.status_events, found)
    say("")
    for line in report_lines(report, settings.timeout_s):
        say(line)
    return report


def run_in_account(
    settings: Settings, account: Account, out: TextIO, hooks: Hooks | None = None
) -> Report:
    """The whole smoke in ``account``: its deployment (read, or a throwaway), then :func:`smoke`."""

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    say(f"AWS {account.identity()}")
    with deployment_dir(settings, account, say) as (workdir, terraform_runner):
        deployment = read_deployment(workdir, terraform_runner)
        if settings.api_url:
            deployment = replace(deployment, api_url=settings.api_url)
        say(describe(deployment))
        if settings.terraform_dir and settings.region and settings.region != deployment.region:
            say(
                f"note: REGION={settings.region} is ignored: the deployment is in {deployment.region}"
            )
        run = Run(
            deployment,
            settings,
            account.clients(deployment.region),
            account.api(deployment.api_url, deployment.region),
            say,
            hooks or Hooks(),
        )
        report = smoke(run)
    if settings.terraform_dir is None:
        say(report.summary())  # again, after the throwaway's destroy
    return report


def describe(deployment: Deployment) -> str:
    events = f"on bus {deployment.event_bus}" if deployment.status_events else "off"
    return (
        f"deployment: API {deployment.api_url}, table {deployment.table_name}, Region "
        f"{deployment.region}, correlation key {deployment.correlation_key or '(none)'}, "
        f"status events {events}"
    )


# --- command line --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> Settings:
    parser = argparse.ArgumentParser(
        prog="make smoke",
        description=COST_NOTE + " Nothing is sent without --confirm (CONFIRM=1).",
    )
    parser.add_argument("--confirm", action="store_true", help="really send (or CONFIRM=1)")
    parser.add_argument("--from", dest="sender", help="a verified SES identity to send from")
    parser.add_argument("--terraform-dir", type=Path, help="an applied root module to test")
    parser.add_argument("--region", help="the throwaway deployment's Region")
    parser.add_argument("--configuration-set", help="the SES configuration set to send through")
    parser.add_argument("--api-url", help="the API's URL, if not the api_endpoint output")
    parser.add_argument("--sms-configuration-set", help="an SMS v2 configuration set")
    parser.add_argument("--sms-origination-identity", help="a phone number, pool or ARN")
    parser.add_argument(
        "--sms-country",
        default=DEFAULT_SMS_COUNTRY,
        choices=sorted(SMS_SIMULATOR_NUMBERS),
        help="whose simulator numbers to text (default US)",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per message, s")
    parser.add_argument("--poll", type=float, default=DEFAULT_POLL_S, help="between polls, s")
    parser.add_argument("--name", help="the throwaway deployment's name (default random)")
    args = parser.parse_args(argv)
    return Settings(
        sender=args.sender,
        terraform_dir=args.terraform_dir,
        region=args.region,
        configuration_set=args.configuration_set,
        api_url=args.api_url,
        sms_configuration_set=args.sms_configuration_set,
        sms_origination_identity=args.sms_origination_identity,
        sms_country=args.sms_country,
        timeout_s=args.timeout,
        poll_s=args.poll,
        name=args.name,
        confirm=args.confirm or env.get("CONFIRM", "").lower() in CONFIRM_VALUES,
    )


def refusal() -> str:
    return (
        f"{COST_NOTE}\nNothing was done. To run it: make smoke CONFIRM=1 FROM=<verified "
        "sender> [TERRAFORM_DIR=<applied root module> | REGION=<region>] "
        "(README: Development, make smoke)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv, os.environ)
    if not settings.confirm:
        print(refusal(), file=sys.stderr)
        return 2
    try:
        check_settings(settings)
        account = AwsAccount.from_environment(settings.region)
        report = run_in_account(settings, account, sys.stdout)
    except (SmokeError, DeploymentError, CliError, terraform.TerraformFailed) as err:
        print(f"smoke: error: {err}", file=sys.stderr)
        return 2
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
