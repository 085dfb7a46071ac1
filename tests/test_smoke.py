"""`make smoke` without AWS: its gate, its one-line failures, its requests, its throwaway
deployment's lifecycle, its expectations and its verdict. The flow against a deployment
runs on the emulator (tests/terraform/test_smoke.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from message_status.model import EXPECTED_PATH, FAILURE_STATUSES, PRECEDENCE, Channel
from message_status.parse import parse_event

from devkit import ROOT, smoke, terraform
from devkit.deployments import (
    Deployment,
    DeploymentError,
    deployment_from_state,
    module_facts,
    throwaway,
)
from devkit.simulator import (
    EMAIL_SCENARIOS,
    SMS_FAILURE_EVENT_TYPES,
    Expectation,
    documented_events,
    expectations,
    scenario_for,
    sms_scenarios,
)
from devkit.smoke import (
    Clients,
    Report,
    Run,
    Sent,
    Settings,
    SmokeError,
    Waiter,
    Watched,
    configuration_set_for,
    send_email,
    send_sms,
)

REGION = "eu-west-1"
RUN_ID = "smoke-20261204t120000-abc123"
BY_OUTCOME = {s.outcome: s for s in (*EMAIL_SCENARIOS, *sms_scenarios())}


# --- the gate and the one-line failures -------------------------------------------------------


def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the smoke creates an AWS session or runs terraform."""

    def forbidden(*_: Any, **__: Any) -> Any:
        raise AssertionError("touched AWS or terraform")

    monkeypatch.setattr(smoke.boto3, "Session", forbidden)
    monkeypatch.setattr(terraform, "run", forbidden)


def test_without_confirmation_the_smoke_touches_nothing_and_says_how_to_run_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_aws(monkeypatch)
    monkeypatch.delenv("CONFIRM", raising=False)

    code = smoke.main(["--from", "me@example.com", "--terraform-dir", str(ROOT)])

    assert code == 2
    err = capsys.readouterr().err
    assert "costs a few cents" in err
    assert "Nothing was done" in err
    assert "CONFIRM=1" in err


@pytest.mark.parametrize(("value", "confirmed"), [("1", True), ("yes", True), ("0", False)])
def test_confirm_variable_confirms_only_when_set_to_yes(value: str, confirmed: bool) -> None:
    assert smoke.parse_args([], {"CONFIRM": value}).confirm is confirmed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "no sender: pass FROM="),
        (["--from", "me@example.com", "--sms-configuration-set", "texts"], "needs both"),
        (["--from", "me@example.com", "--timeout", "0"], "positive"),
        (["--from", "me@example.com", "--terraform-dir", "/nonexistent"], "not a directory"),
    ],
)
def test_bad_settings_fail_in_one_line_before_touching_aws(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    no_aws(monkeypatch)

    code = smoke.main(["--confirm", *argv])

    assert code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("smoke: error: ")
    assert message in line


def without_aws_credentials() -> dict[str, str]:
    """This process's environment with no way to find AWS credentials."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.pop("CONFIRM", None)
    env.update(
        {
            "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


def make_smoke(*variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "smoke", *variables],
        cwd=ROOT,
        env=without_aws_credentials(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_smoke_refuses_without_confirm() -> None:
    done = make_smoke("FROM=me@example.com")
    assert done.returncode != 0
    assert "Nothing was done" in done.stderr
    assert done.stdout == ""


def test_make_smoke_without_credentials_fails_with_one_clear_line() -> None:
    done = make_smoke("CONFIRM=1", "FROM=me@example.com", f"REGION={REGION}")
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert ours == [
        "smoke: error: no AWS credentials found: configure them (aws configure, AWS_PROFILE, "
        "SSO or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run again; nothing was sent"
    ]


# --- the requests ------------------------------------------------------------------------------


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(
        service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


def run_with(clients: Clients, **settings: Any) -> Run:
    deployment = Deployment("https://api.example", REGION, "t", "t-transform")
    values = {"sender": "me@example.com", **settings}
    return Run(deployment, Settings(**values), clients, None, lambda _: None, run_id=RUN_ID)


def test_each_mail_goes_through_the_configuration_set_tagged_with_the_run_id() -> None:
    sesv2, stubber = stubbed("sesv2")
    stubber.add_response(
        "send_email",
        {"MessageId": "m-1"},
        {
            "FromEmailAddress": "me@example.com",
            "Destination": {"ToAddresses": ["bounce@simulator.amazonses.com"]},
            "Content": ANY,
            "ConfigurationSetName": "transactional",
            "EmailTags": [{"Name": "order_id", "Value": RUN_ID}],
        },
    )
    run = run_with(Clients(sesv2, None, None, None))

    message_id = send_email(run, BY_OUTCOME["bounce"], "transactional", ("order_id", RUN_ID))

    assert message_id == "m-1"
    stubber.assert_no_pending_responses()


def test_each_text_goes_to_a_simulator_number_with_the_run_id_in_its_context() -> None:
    sms, stubber = stubbed("pinpoint-sms-voice-v2")
    stubber.add_response(
        "send_text_message",
        {"MessageId": "t-1"},
        {
            "DestinationPhoneNumber": "+14254147167",
            "OriginationIdentity": "pool-1",
            "MessageBody": f"message-status smoke {RUN_ID}: sms failure",
            "MessageType": "TRANSACTIONAL",
            "ConfigurationSetName": "texts",
            "Context": {"order_id": RUN_ID},
        },
    )
    run = run_with(
        Clients(None, sms, None, None),
        sms_configuration_set="texts",
        sms_origination_identity="pool-1",
    )

    assert send_sms(run, BY_OUTCOME["sms failure"], ("order_id", RUN_ID)) == "t-1"
    stubber.assert_no_pending_responses()


def test_a_refused_send_is_one_line_that_names_the_recipient_and_the_likely_cause() -> None:
    sesv2, stubber = stubbed("sesv2")
    stubber.add_client_error("send_email", "MessageRejected", "Email address is not verified.", 400)
    run = run_with(Clients(sesv2, None, None, None))

    with pytest.raises(SmokeError) as refused:
        send_email(run, BY_OUTCOME["success"], "transactional", None)

    assert "success@simulator.amazonses.com" in str(refused.value)
    assert "MessageRejected" in str(refused.value)
    assert "verified" in str(refused.value)


# --- the deployment ---------------------------------------------------------------------------


def deployment(**changes: Any) -> Deployment:
    return Deployment("https://api.example", REGION, "t", "t-transform", **changes)


def test_the_one_streamed_configuration_set_is_used_and_several_need_a_choice() -> None:
    said: list[str] = []
    assert (
        configuration_set_for(deployment(configuration_sets=("a",)), Settings(), said.append) == "a"
    )
    with pytest.raises(SmokeError, match="several"):
        configuration_set_for(deployment(configuration_sets=("a", "b")), Settings(), said.append)
    with pytest.raises(SmokeError, match="no SES configuration set"):
        configuration_set_for(deployment(), Settings(), said.append)
    chosen = Settings(configuration_set="c")
    assert configuration_set_for(deployment(configuration_sets=("a",)), chosen, said.append) == "c"
    assert said == [
        "warning: the module streams a, not 'c': its events may not reach this deployment"
    ]


def state(outputs: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any]:
    """``terraform show -json`` of a root module using the module as module.status."""
    return {
        "values": {
            "outputs": {
                name: {"value": value, "sensitive": False} for name, value in outputs.items()
            },
            "root_module": {
                "child_modules": [{"address": "module.status", "resources": resources}]
            },
        }
    }


OUTPUTS = {
    "api_endpoint": "https://abc.execute-api.eu-west-1.amazonaws.com",
    "table_name": "status",
    "table_arn": f"arn:aws:dynamodb:{REGION}:123456789012:table/status",
    "transform_function_name": "status-transform",
}


def transform(name: str, variables: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "aws_lambda_function",
        "values": {"function_name": name, "environment": [{"variables": variables}]},
    }


def test_a_deployment_without_status_events_or_correlation_key_is_read_as_such() -> None:
    read = deployment_from_state(state(OUTPUTS, [transform("status-transform", {})]), "here")
    assert read == Deployment(
        OUTPUTS["api_endpoint"], REGION, "status", "status-transform", (), None, None, None, None
    )
    assert not read.status_events


def test_the_module_facts_come_from_the_instance_that_owns_the_transform() -> None:
    other = {"address": "module.other", "resources": [transform("other-transform", {})]}
    mine = {
        "address": "module.mine",
        "resources": [
            transform("mine-transform", {"CORRELATION_KEY": "order_id"}),
            {
                "type": "aws_sesv2_configuration_set_event_destination",
                "values": {"configuration_set_name": "mine-set"},
            },
        ],
    }
    root = {"child_modules": [other, mine]}
    facts = module_facts(root, "mine-transform")
    assert (facts.configuration_sets, facts.correlation_key) == (("mine-set",), "order_id")
    assert module_facts(root, "other-transform").configuration_sets == ()
    with pytest.raises(DeploymentError, match="no function named 'gone'"):
        module_facts(root, "gone")


def test_a_root_module_that_does_not_reexport_the_outputs_is_refused_by_name() -> None:
    with pytest.raises(DeploymentError) as refused:
        deployment_from_state(state({"table_name": "status"}, []), "/deploy")
    message = str(refused.value)
    assert "/deploy" in message
    assert "api_endpoint, table_arn, transform_function_name" in message


# --- the throwaway deployment -------------------------------------------------------------------


@dataclass
class FakeTerraform:
    """A Runner that fails the commands it is told to, and records every call."""

    failing: set[str] = field(default_factory=set)
    calls: list[tuple[Path, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, workdir: Path, *args: str) -> terraform.Result:
        self.calls.append((workdir, args))
        code = 1 if args[0] in self.failing else 0
        return terraform.Result(args, code, "", f"Error: {args[0]} went wrong" if code else "")

    @property
    def verbs(self) -> list[str]:
        return [args[0] for _, args in self.calls]


def use(runner: FakeTerraform) -> Callable[[Path], FakeTerraform]:
    return lambda _scratch: runner


def test_a_throwaway_is_applied_from_a_copy_outside_the_tree_and_destroyed() -> None:
    runner, said = FakeTerraform(), []
    with throwaway(use(runner), REGION, "msgstatus-smoke-t1", said.append) as (workdir, run):
        assert run is runner
        assert (workdir / "main.tf").exists()
        assert (workdir / "smoke.auto.tfvars.json").read_text().count(REGION) == 1
        assert ROOT not in workdir.parents
    assert runner.verbs == ["init", "apply", "destroy"]
    assert {where for where, _ in runner.calls} == {workdir}
    assert not workdir.exists()


def test_a_failed_apply_is_still_destroyed() -> None:
    runner = FakeTerraform(failing={"apply"})
    with (
        pytest.raises(DeploymentError, match="apply failed"),
        throwaway(use(runner), REGION, "t2", print),
    ):
        pytest.fail("no deployment to use")
    assert runner.verbs == ["init", "apply", "destroy"]


def test_a_failed_init_created_nothing_and_destroys_nothing() -> None:
    runner = FakeTerraform(failing={"init"})
    with (
        pytest.raises(DeploymentError, match="init failed"),
        throwaway(use(runner), REGION, "t3", print),
    ):
        pytest.fail("no deployment to use")
    assert runner.verbs == ["init"]


def test_a_failed_destroy_keeps_the_state_and_says_where() -> None:
    runner, said = FakeTerraform(failing={"destroy"}), []
    with (
        pytest.raises(DeploymentError, match="was not destroyed") as failed,
        throwaway(use(runner), REGION, "t4", said.append),
    ):
        pass
    (workdir,) = {where for where, _ in runner.calls}
    scratch = workdir.parents[2]
    assert scratch.name.startswith("message-status-smoke-")
    assert workdir.exists(), "the copy and its state are kept for the user"
    assert str(workdir) in str(failed.value)
    assert any("run `terraform destroy` there" in line for line in said)
    shutil.rmtree(scratch)


# --- what the smoke expects -------------------------------------------------------------------


def test_every_email_outcome_expects_one_final_status() -> None:
    for scenario in EMAIL_SCENARIOS:
        (expected,) = expectations(scenario)
        assert expected.final, scenario.outcome


def test_delivered_outcomes_expect_the_expected_path_and_bounces_a_failure() -> None:
    email_path = {s.value for s in EXPECTED_PATH[Channel.EMAIL]}
    failures = {s.value for s in FAILURE_STATUSES}
    for outcome in ("success", "out-of-office"):
        assert {e.status for e in expectations(BY_OUTCOME[outcome])} <= email_path, outcome
    for outcome in ("bounce", "suppression list"):
        assert {e.status for e in expectations(BY_OUTCOME[outcome])} <= failures, outcome
    (complaint,) = expectations(BY_OUTCOME["complaint"])
    (delivered,) = expectations(BY_OUTCOME["success"])
    precedence = PRECEDENCE[Channel.EMAIL]
    assert precedence.index(complaint.status) > precedence.index(delivered.status)


def test_the_suppression_list_bounce_is_the_documented_permanent_suppressed_one() -> None:
    events = documented_events(BY_OUTCOME["suppression list"], "m", 1_795_400_000_000)
    assert [e["eventType"] for e in events] == ["Send", "Bounce"]
    bounce = parse_event(events[1])
    assert bounce.detail == "Permanent/Suppressed"
    assert bounce.recipients == ("suppressionlist@simulator.amazonses.com",)


def test_sms_success_may_end_sent_or_delivered_and_every_failure_type_fails() -> None:
    assert {e.status for e in expectations(BY_OUTCOME["sms success"])} == {"SENT", "DELIVERED"}
    assert all(e.final for e in expectations(BY_OUTCOME["sms success"]))
    assert expectations(BY_OUTCOME["sms failure"]) == {Expectation("FAILED", True)}
    assert len(BY_OUTCOME["sms failure"].alternatives) == len(SMS_FAILURE_EVENT_TYPES)


def test_the_documented_events_carry_the_correlation_tag_the_parser_reads() -> None:
    for scenario in BY_OUTCOME.values():
        for event in documented_events(scenario, "m", 1_795_400_000_000, ("order_id", RUN_ID)):
            assert parse_event(event, "order_id").correlation_id == RUN_ID


def test_labelled_simulator_addresses_find_their_scenario() -> None:
    assert scenario_for("bounce+run-7@simulator.amazonses.com", EMAIL_SCENARIOS).outcome == "bounce"
    with pytest.raises(KeyError):
        scenario_for("someone@example.com", EMAIL_SCENARIOS)


# --- waiting and the verdict -----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class ScriptedApi:
    """An API whose documents appear at given times on the clock."""

    clock: Clock
    timeline: dict[str, list[tuple[float, str, bool]]]
    asked: list[list[str]] = field(default_factory=list)

    def get_many(self, ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        self.asked.append(list(ids))
        found = []
        for message_id in ids:
            seen = [
                (s, f) for at, s, f in self.timeline.get(message_id, []) if at <= self.clock.now
            ]
            if seen:
                status, final = seen[-1]
                found.append({"message_id": message_id, "status": status, "is_final": final})
        return found, [i for i in ids if i not in {d["message_id"] for d in found}]


def test_each_message_gets_its_own_timeout_and_its_time_to_status() -> None:
    clock = Clock()
    complaint, success = BY_OUTCOME["complaint"], BY_OUTCOME["success"]
    sent = [Sent(complaint, "c", 0.0, None), Sent(success, "s", 30.0, None)]
    api = ScriptedApi(
        clock,
        {
            # delivered (final) first: the smoke keeps waiting for the complaint
            "c": [(20.0, "DELIVERED", True), (70.0, "COMPLAINED", True)],
            "s": [(50.0, "DELIVERED", True)],
        },
    )
    waiter = Waiter(api, None, 60.0, 10.0, clock, clock.sleep, lambda _: None)

    watched = {w.sent.message_id: w for w in waiter.wait(sent)}

    assert watched["s"].reached_after_s == 20.0
    assert not watched["c"].reached, "its 60 s ran out at 60 s, before the complaint at 70 s"
    assert (watched["c"].status, watched["c"].final) == ("DELIVERED", True)
    assert clock.now == 70.0, "stops once the last message settled, not before"
    assert api.asked[-1] == ["c"], "only what has not reached its status is asked again"


def watched(reached: bool, event: bool) -> Watched:
    item = Watched(Sent(BY_OUTCOME["success"], "m", 0.0, None))
    item.reached_after_s = 5.0 if reached else None
    item.event_after_s = 6.0 if event else None
    return item


@pytest.mark.parametrize(
    ("items", "events", "found", "passed"),
    [
        ([watched(True, True)], True, {"m"}, True),
        ([watched(True, False)], False, None, True),
        ([watched(False, True)], True, {"m"}, False),
        ([watched(True, False)], True, {"m"}, False),
        ([watched(True, True)], True, set(), False),
        ([], False, None, False),
    ],
)
def test_the_smoke_passes_only_when_every_status_event_and_search_came_in_time(
    items: list[Watched], events: bool, found: set[str] | None, passed: bool
) -> None:
    report = Report(RUN_ID, items, events, found)
    assert report.passed is passed
    assert report.summary().startswith("smoke PASSED" if passed else "smoke FAILED")


def test_main_exits_1_when_the_smoke_ran_and_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smoke.AwsAccount, "from_environment", classmethod(lambda cls, region: None))
    reports = iter(
        [
            Report(RUN_ID, [watched(False, False)], False, None),
            Report(RUN_ID, [watched(True, False)], False, None),
        ]
    )
    monkeypatch.setattr(smoke, "run_in_account", lambda *_args, **_kw: next(reports))
    argv = ["--confirm", "--from", "me@example.com", "--region", REGION]
    assert smoke.main(argv) == 1
    assert smoke.main(argv) == 0
