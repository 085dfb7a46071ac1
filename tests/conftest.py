"""Shared fixtures: AWS mocked in-process, a table, and the handlers imported from lambda_src/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from types import ModuleType
from typing import Any

import boto3
import pytest
from heal import app as heal_app
from hypothesis import HealthCheck, settings
from moto import mock_aws
from query import app as query_app
from stream import app as stream_app
from transform import app as transform_app

from devkit import terraform
from devkit.calls import in_process
from devkit.dynamo import table_definition
from devkit.emulator import FAKE_CREDENTIALS, Emulator, moto_server
from devkit.faultproxy import refusing_port
from devkit.ses_suppression import suppression_list_like_ses
from devkit.stack import Stack, deployed, emulator_files
from tests.support.logs import CapturedLogs

TABLE_NAME = "message-status-test"
ARCHIVE_BUCKET = "message-status-test-archive"

# Speed is measured in bench/, never in tests: a test's examples take as long as the
# machine lets them (CI runs beside other work), so no deadline and no slow-input check.
settings.register_profile("project", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("project")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override: moto intercepts every call."""
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "MessageStatusTest")
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)


def create_table(client: Any, name: str = TABLE_NAME) -> None:
    """The module's table (storage.tf), indexes included, from message_status.model.INDEXES."""
    client.create_table(**table_definition(name))


@pytest.fixture
def dynamodb(aws_env: None) -> Iterator[Any]:
    """A DynamoDB client on moto, with the module's table created (and SES's suppression
    list, which moto lacks: devkit.ses_suppression)."""
    with mock_aws(), suppression_list_like_ses():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield client


class InProcessFunction:
    """A handler module imported here: call it with an event, or reach its module attributes."""

    def __init__(self, app: ModuleType) -> None:
        self.app = app

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        return in_process(self.app.lambda_handler)(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def restart(self) -> None:
        """A cold start: the function reads its settings and makes its clients again."""
        for value in vars(self.app).values():
            if getattr(value, "__module__", None) == self.app.__name__ and hasattr(
                value, "cache_clear"
            ):
                value.cache_clear()


@pytest.fixture
def transform(dynamodb: Any) -> Iterator[InProcessFunction]:
    """The transform (lambda_src/transform/app.py), configured with TABLE_NAME only."""
    function = InProcessFunction(transform_app)
    function.restart()
    yield function
    function.restart()


@pytest.fixture
def query(dynamodb: Any) -> Iterator[InProcessFunction]:
    """The query (lambda_src/query/app.py), configured with TABLE_NAME only."""
    function = InProcessFunction(query_app)
    function.restart()
    yield function
    function.restart()


@pytest.fixture
def stream(dynamodb: Any) -> InProcessFunction:
    """The stream function (lambda_src/stream/app.py), publishing to the default bus."""
    function = InProcessFunction(stream_app)
    function.restart()  # a client of an earlier test's moto is stale
    return function


@pytest.fixture
def archive(dynamodb: Any) -> str:
    """The module's archive bucket, on moto, empty."""
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=ARCHIVE_BUCKET)
    return ARCHIVE_BUCKET


@pytest.fixture
def heal(archive: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessFunction]:
    """The heal function (lambda_src/heal/app.py) on the archive bucket and the table, with a
    15 s timeout: one attempt per DynamoDB call, so that injected faults cost no backoff."""
    monkeypatch.setenv("ARCHIVE_BUCKET", archive)
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", "15")
    function = InProcessFunction(heal_app)
    function.restart()
    yield function
    function.restart()


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> CapturedLogs:
    """Everything the four handlers log during the test."""
    captured = CapturedLogs()
    for app in (transform_app, query_app, stream_app, heal_app):
        monkeypatch.setattr(app.logger.registered_handler, "stream", captured.stream)
    return captured


@pytest.fixture
def refused_url() -> Iterator[str]:
    """An http://127.0.0.1:PORT URL that refuses every connection during the test."""
    with refusing_port() as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def status_queue(dynamodb: Any) -> str:
    """An SQS queue that a rule on the default bus fills with every Message Status Changed."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    events = boto3.client("events", region_name="us-east-1")
    url = sqs.create_queue(QueueName="status-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    events.put_rule(Name="all-status-changes", EventPattern='{"source": ["message-status"]}')
    events.put_targets(Rule="all-status-changes", Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}])
    return str(url)


################################################################################
# The emulator, the one shared deployment of examples/basic, and the test processes
################################################################################

# pytest-xdist runs the tests in several processes (pyproject.toml: -n auto, --dist
# loadgroup). Tests are put in groups by the fixtures they use; each group runs whole,
# in one process, in collection order:
#
# * one group per deployment on the emulator: the tests on the shared ``basic_stack``,
#   and, for every other test module on ``emulator``, that module's tests (its
#   deployment is a module fixture, e.g. test_apply_complete's upgraded stack). The
#   server runs in the test process (devkit.stack patches moto's classes there), and
#   moto wipes every backend, the server's included, whenever an in-process
#   ``mock_aws`` ends: no such test may run in that process while a deployment lives,
#   so these groups run first, and the deployment is destroyed right after its last
#   test. Each process has a server of its own, so two deployments can be applied at
#   once in two processes.
# * PLANS_GROUP: every test that uses ``workspaces`` (plans, `terraform test`). Their
#   plans are cached per process (tests/terraform/conftest.py) and many are shared
#   between modules: one process makes each of them once.
#
# The other tests each go wherever a process is free. A new test lands in the right
# group by the fixtures it uses; nothing is listed by hand.
EMULATOR_GROUP = "emulator"
PLANS_GROUP = "terraform-plans"


def uses_the_emulator(item: pytest.Item) -> bool:
    return "emulator" in getattr(item, "fixturenames", ())


def group_of(item: pytest.Item) -> str | None:
    fixtures = getattr(item, "fixturenames", ())
    if "basic_stack" in fixtures:
        return f"{EMULATOR_GROUP}:basic_stack"
    if "emulator" in fixtures:
        return f"{EMULATOR_GROUP}:{item.nodeid.split('::')[0]}"
    if "workspaces" in fixtures:
        return PLANS_GROUP
    return None


def order_of(group: str | None) -> int:
    if group is None:
        return 2
    return 1 if group == PLANS_GROUP else 0


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The emulator's tests first, then the plans, then the rest, each in one group.

    Every test on the shared moto server runs before any in-process ``mock_aws``
    test of its process (see above), and so do the plans, which need nothing on
    the server but its answers. The sort is stable, so each group keeps its order.
    """
    items.sort(key=lambda item: order_of(group_of(item)))
    for item in items:
        group = group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


UNGROUPED = pytest.StashKey[set[str]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a test process of xdist's: note the tests whose group was lost.

    pytest-xdist 3.8 keeps a group by renaming its tests (``test@group``);
    with pytest 9.2 the renaming silently does nothing (pytest-xdist#1386)
    and the groups' tests are spread over every process, each then applying
    its own copy of the deployments. requirements-dev.txt pins a pytest that
    works; if that ever breaks again, those tests fail at once and say why.
    """
    config = session.config
    if hasattr(config, "workerinput") and config.getvalue("loadgroup"):
        config.stash[UNGROUPED] = {
            item.nodeid for item in session.items if group_of(item) and "@" not in item.nodeid
        }


@pytest.hookimpl(tryfirst=True)  # before any fixture is set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.nodeid in item.config.stash.get(UNGROUPED, set()):
        pytest.fail(
            f"pytest-xdist lost this test's group ({group_of(item)}; pytest-xdist#1386): "
            "use the pytest that requirements-dev.txt pins, or run with -n 0",
            pytrace=False,
        )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """-n auto: one process more than this machine has cores (pyproject.toml caps it at 4).

    The applies spend most of their time in the AWS provider's fixed waits (55 s
    for a bucket's lifecycle rules, 25 s for a queue, 10 s and more for a
    stream), idle: the extra process keeps the cores busy meanwhile.
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, decides instead (xdist's own rule).
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may use
        return len(os.sched_getaffinity(0)) + 1
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[Emulator]:
    """A moto server of this test process, for commands that only read from AWS.

    A plan reads the caller identity, the Region and the partition, and renders
    policy documents: it creates nothing, so it needs no deployment and no group.
    """
    if terraform.version() is None:
        pytest.skip("terraform is not installed")
    with moto_server() as running:
        yield running


@pytest.fixture(scope="session")
def emulator(moto_endpoint: Emulator) -> Emulator:
    """The moto server, for tests that create things on it: each deployment's tests run in
    one process, one after the other, before any in-process ``mock_aws`` test (group_of)."""
    return moto_endpoint


@pytest.fixture(scope="session")
def basic_stack(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """examples/basic applied to the emulator once, for the apply tests and the demo test.

    The emulator has no SES v2 event destinations, so a Pinpoint project stands
    in for the example's SES configuration set (devkit.stack.EMULATOR_FILES).
    """
    scratch = tmp_path_factory.mktemp("basic-stack")
    yield SHARED_DEPLOYMENTS.enter_context(
        deployed("basic", emulator, scratch, files=emulator_files("basic"))
    )
    SHARED_DEPLOYMENTS.close()  # already destroyed, unless the session was cut short


@pytest.fixture(scope="session")
def multi_account_stack(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """examples/multi-account (a hub and two sender accounts in other Regions) applied to
    the emulator once, for its apply and flow tests. The emulator is one account: the
    example's account ids stand for the senders in the hub's bus policy, and the spokes
    name their configuration sets without SES resources (devkit.stack.EMULATOR_FILES)."""
    scratch = tmp_path_factory.mktemp("multi-account-stack")
    yield SHARED_DEPLOYMENTS.enter_context(
        deployed("multi-account", emulator, scratch, files=emulator_files("multi-account"))
    )
    SHARED_DEPLOYMENTS.close()


# Closed (the stack destroyed) right after the last test on the emulator, before any
# in-process mock_aws can wipe the emulator under it (pytest_runtest_teardown). Under
# xdist, ``nextitem`` is the next test of this process: the group's tests run together.
SHARED_DEPLOYMENTS = ExitStack()


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if uses_the_emulator(item) and (nextitem is None or not uses_the_emulator(nextitem)):
        SHARED_DEPLOYMENTS.close()
