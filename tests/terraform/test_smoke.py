"""`make smoke`'s flow on the emulator: send, wait, report and clean up, against the session's
shared deployment of examples/basic, with AWS's simulators played by a feeder.

moto accepts SES v2 SendEmail (from a verified identity) and returns message ids, but
publishes no events, and it has no End User Messaging SMS v2 at all (a botocore Stubber
answers SendTextMessage). The feeder plays SES, End User Messaging and Firehose: for each
message the smoke sent (each mail as moto recorded it), it builds the events AWS documents
for that simulator address or number (devkit.simulator) with that message id, runs them
through the deployed transform, and hands the table's stream to the deployed stream
function as its event-source mapping would. The smoke then finds each status on the
deployed query function (served over HTTP), each status event through its own rule and
queue, and every message through the correlation search.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import ReadOnlyCredentials
from botocore.stub import ANY, Stubber
from message_status.model import Channel
from moto.ses.models import ses_backends
from msgstatus.api import ApiClient, make_auth, urllib3_transport

from devkit import ROOT, terraform
from devkit.calls import results, run_firehose
from devkit.demo import stream_reader
from devkit.deployments import Runner, Terraform, module_facts, read_deployment
from devkit.emulator import REGION
from devkit.lambdas import LambdaProcess
from devkit.local_api import LocalApi
from devkit.simulator import (
    EMAIL_SCENARIOS,
    Expectation,
    documented_events,
    expectations,
    scenario_for,
    sms_scenarios,
)
from devkit.smoke import Clients, Hooks, Report, Sent, Settings, run_in_account
from devkit.stack import Stack
from tests.terraform.conftest import Workspace

pytestmark = [pytest.mark.terraform, pytest.mark.apply]

SENDER = "smoke@example.com"
QUIET = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
SMS_SETTINGS = {"sms_configuration_set": "smoke-texts", "sms_origination_identity": "+12065550100"}


@dataclass
class Recorder:
    """A terraform Runner that records each command (directory, arguments) it is given."""

    delegate: Runner
    commands: list[tuple[Path, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, workdir: Path, *args: str) -> terraform.Result:
        self.commands.append((workdir, args))
        return self.delegate(workdir, *args)


@dataclass
class EmulatorAccount:
    """The smoke's Account on the emulator: the stack's clients, its API served locally, a
    stubbed SMS client, and terraform runners that record what they are asked to do."""

    stack: Stack
    sms: Any
    own: Recorder  # reads the --terraform-dir root module (the shared deployment)
    throwaway: Recorder | None = None

    def identity(self) -> str:
        return "emulator"

    def default_region(self) -> str | None:
        return REGION

    def clients(self, region: str) -> Clients:
        assert region == REGION
        return Clients(
            sesv2=self.stack.client("sesv2"),
            sms=self.sms,
            sqs=self.stack.client("sqs"),
            events=self.stack.client("events"),
        )

    def api(self, url: str, region: str) -> ApiClient:
        fake = ReadOnlyCredentials("testing", "testing", None)  # LocalApi checks no signature
        return ApiClient(url, make_auth(True, None, region, lambda: fake), urllib3_transport())

    def terraform(self, scratch: Path | None) -> Runner:
        if scratch is None:
            return self.own
        assert self.throwaway is not None, "the test did not expect a throwaway apply"
        return self.throwaway


@dataclass
class SimulatorFeeder:
    """Plays SES, End User Messaging and Firehose for what the smoke sent (module docstring)."""

    stack: Stack
    transform: LambdaProcess
    stream: LambdaProcess
    reader: Any
    fed: list[str] = field(default_factory=list)

    def accepted_mail(self) -> dict[str, Any]:
        """The mails moto accepted in the stack's account, by message id."""
        account = self.stack.client("sts").get_caller_identity()["Account"]
        return {m.id: m for m in ses_backends[account][REGION].sent_messages}

    def events_of(self, sent: Sent, accepted: dict[str, Any]) -> list[dict[str, Any]]:
        now_ms = int(time.time() * 1000)
        if sent.scenario.channel is Channel.EMAIL:
            (address,) = accepted[sent.message_id].destinations["ToAddresses"]
            scenario = scenario_for(address, EMAIL_SCENARIOS)
        else:
            scenario = sent.scenario  # the stubbed SendTextMessage checked the number
        return documented_events(scenario, sent.message_id, now_ms, sent.correlation)

    def __call__(self, sent: Sequence[Sent]) -> None:
        accepted = self.accepted_mail()
        payloads = [event for s in sent for event in self.events_of(s, accepted)]
        assert set(results(run_firehose(self.transform, payloads))) == {"Ok"}
        report = self.stack.play_stream_mapping(self.stream, self.reader.new_records())
        assert report.failed_batches == []
        self.fed = [s.message_id for s in sent]


@pytest.fixture(scope="module")
def served_api(basic_stack: Stack) -> Iterator[str]:
    """The deployed query function on a local HTTP address, routes as deployed."""
    with (
        basic_stack.function("query_function_name", QUIET) as query,
        LocalApi(query) as api,
    ):
        yield api.url


@pytest.fixture(scope="module")
def sender(basic_stack: Stack) -> str:
    basic_stack.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    return SENDER


@pytest.fixture
def feeder(basic_stack: Stack) -> Iterator[SimulatorFeeder]:
    with (
        basic_stack.function("transform_function_name", QUIET) as transform,
        basic_stack.function("stream_function_name", QUIET) as stream,
    ):
        yield SimulatorFeeder(basic_stack, transform, stream, stream_reader(basic_stack))


def stubbed_sms() -> tuple[Any, Stubber]:
    """An SMS v2 client whose SendTextMessage answers as AWS does, for each simulator number."""
    client = boto3.client(
        "pinpoint-sms-voice-v2",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(client)
    for scenario in sms_scenarios():
        stubber.add_response(
            "send_text_message",
            {"MessageId": f"smoke-text-{scenario.outcome.replace(' ', '-')}"},
            {
                "DestinationPhoneNumber": scenario.address,
                "OriginationIdentity": SMS_SETTINGS["sms_origination_identity"],
                "ConfigurationSetName": SMS_SETTINGS["sms_configuration_set"],
                "MessageBody": ANY,
                "MessageType": "TRANSACTIONAL",
                "Context": ANY,
            },
        )
    stubber.activate()
    return client, stubber


def smoke_settings(basic_stack: Stack, served_api: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sender": SENDER,
        "terraform_dir": basic_stack.workdir,
        "api_url": served_api,
        # The emulator's deployment streams a Pinpoint project in place of the example's
        # SES configuration set (devkit.stack): the set is named, not read from the state.
        "configuration_set": "msgstatus-basic",
        "timeout_s": 30.0,
        "poll_s": 0.05,
        "send_interval_s": 0.0,
        "confirm": True,
        **overrides,
    }
    return Settings(**values)


def rules_and_queues(stack: Stack, run_id: str) -> tuple[list[Any], list[Any]]:
    rules = stack.client("events").list_rules(NamePrefix=run_id, EventBusName="default")
    queues = stack.client("sqs").list_queues(QueueNamePrefix=run_id)
    return rules["Rules"], queues.get("QueueUrls", [])


def test_smoke_reaches_every_simulator_outcome_and_leaves_the_deployment_as_it_was(
    basic_stack: Stack, served_api: str, sender: str, feeder: SimulatorFeeder
) -> None:
    sms, stubber = stubbed_sms()
    own = Recorder(Terraform(basic_stack.env))
    account = EmulatorAccount(basic_stack, sms, own)
    out = io.StringIO()

    report = run_in_account(
        smoke_settings(basic_stack, served_api, **SMS_SETTINGS),
        account,
        out,
        Hooks(after_send=feeder),
    )

    text = out.getvalue()
    assert report.passed, text
    outcomes = [item.sent.scenario.outcome for item in report.watched]
    assert outcomes == [s.outcome for s in (*EMAIL_SCENARIOS, *sms_scenarios())]
    assert feeder.fed == [item.sent.message_id for item in report.watched]
    for item in report.watched:
        # What the deployed pipeline answers is what the parser makes of the documented events.
        assert Expectation(str(item.status), item.final) in expectations(item.sent.scenario)
        assert item.reached_after_s is not None
        assert item.reached_after_s >= 0
        assert item.event_seen, item.sent.scenario.outcome
    assert report.correlation_found == {item.sent.message_id for item in report.watched}
    stubber.assert_no_pending_responses()
    lines = text.splitlines()
    assert lines[-1] == report.summary()
    assert lines[-1].startswith("smoke PASSED: 7/7 messages reached their expected status")
    for scenario in (*EMAIL_SCENARIOS, *sms_scenarios()):
        (row,) = [line for line in lines if line.startswith(f"{scenario.outcome} ")]
        assert scenario.address in row

    assert rules_and_queues(basic_stack, report.run_id) == ([], []), "rule and queue deleted"
    assert own.commands == [(basic_stack.workdir, ("show", "-json", "-no-color"))], (
        "an existing deployment is only read, never applied or destroyed"
    )
    table = basic_stack.client("dynamodb").describe_table(TableName="msgstatus-basic")
    assert table["Table"]["TableStatus"] == "ACTIVE"


def test_smoke_reports_a_message_that_never_reaches_its_status_and_still_cleans_up(
    basic_stack: Stack, served_api: str, sender: str
) -> None:
    account = EmulatorAccount(basic_stack, None, Recorder(Terraform(basic_stack.env)))
    out = io.StringIO()

    report = run_in_account(
        smoke_settings(basic_stack, served_api, timeout_s=0.3), account, out, Hooks()
    )

    assert not report.passed
    assert report.reached == 0
    assert all(item.status is None and item.reached_after_s is None for item in report.watched)
    text = out.getvalue()
    assert "timed out" in text
    assert text.splitlines()[-1].startswith("smoke FAILED: 0/5 messages reached")
    assert rules_and_queues(basic_stack, report.run_id) == ([], [])


def test_throwaway_deployment_is_applied_from_a_copy_and_destroyed_after(
    basic_stack: Stack, served_api: str, sender: str, tmp_path: Path
) -> None:
    """Without --terraform-dir, examples/basic is applied from a temporary copy and that copy
    alone is destroyed. The apply and destroy are recorded, not run (an apply costs a
    minute); the copy's state is read from the shared deployment."""
    reading = Terraform(basic_stack.env)

    def fake_apply(workdir: Path, *args: str) -> terraform.Result:
        if args[0] == "show":
            return reading(basic_stack.workdir, *args)
        return terraform.Result(args, 0, "", "")

    throwaway = Recorder(fake_apply)
    account = EmulatorAccount(basic_stack, None, Recorder(reading), throwaway)
    settings = smoke_settings(basic_stack, served_api, terraform_dir=None, timeout_s=0.3)

    out = io.StringIO()
    report = run_in_account(settings, account, out, Hooks())

    assert isinstance(report, Report)
    lines = out.getvalue().splitlines()
    destroying = next(n for n, line in enumerate(lines) if line.startswith("destroying"))
    assert lines[-1] == report.summary(), "the verdict comes last, after the destroy"
    assert destroying < len(lines) - 1
    verbs = [args[0] for _, args in throwaway.commands]
    assert verbs == ["init", "apply", "show", "destroy"]
    (workdir,) = {where for where, _ in throwaway.commands}
    assert workdir.name == "basic"
    assert workdir.parent.name == "examples"
    assert ROOT not in workdir.parents
    assert basic_stack.workdir != workdir
    assert not workdir.exists(), "the temporary copy is removed once destroyed"
    assert account.own.commands == [], "nothing else is read, applied or destroyed"
    assert basic_stack.client("dynamodb").describe_table(TableName="msgstatus-basic")


def test_module_facts_name_the_examples_ses_configuration_set_and_correlation_key(
    workspaces: dict[str, Workspace],
) -> None:
    """Read from examples/basic's plan (the emulator's deployment has no SES destination)."""
    plan = workspaces["basic"].plan()
    facts = module_facts(plan._raw["planned_values"]["root_module"], "msgstatus-basic-transform")
    assert facts.configuration_sets == ("msgstatus-basic",)
    assert facts.correlation_key == "order_id"


def test_reading_the_shared_deployment_finds_its_api_region_and_status_events(
    basic_stack: Stack,
) -> None:
    deployment = read_deployment(basic_stack.workdir, Terraform(basic_stack.env))
    outputs = basic_stack.outputs
    assert deployment.api_url == outputs["api_endpoint"]
    assert deployment.region == REGION
    assert deployment.table_name == outputs["table_name"]
    assert deployment.correlation_key == "order_id"
    assert deployment.configuration_sets == ()  # a Pinpoint project stands in on the emulator
    assert (deployment.event_bus, deployment.event_source, deployment.event_detail_type) == (
        "default",
        "message-status",
        "Message Status Changed",
    )
    assert deployment.status_events
