"""The one deploy path: an example applied to the emulator, read back, and destroyed.

``deployed(example, emulator, scratch)`` copies the module and its examples
under ``scratch``, applies the example with ``AWS_ENDPOINT_URL`` pointing at
the emulator and fake credentials, exactly as against real AWS, yields a
:class:`Stack`, and destroys everything afterwards. `make demo`, the apply
tests and the demo test all deploy through it.

Two things are prepared in the emulator first, without touching the module:

* The default Powertools layer lives in AWS's account 017000801446, and moto
  only accepts layers of the function's own account. So the stack is deployed
  as an emulated account 017000801446 in which the layer has been published up
  to the module's default version: the function's layer ARN is the real default.
* moto 5.2 returns a Pinpoint app's CreationDate as a number where AWS returns
  a string, which the provider rejects; the emulator's App.to_json is patched
  to return a string while a stack is deployed.
* moto 5.2 cannot delete an Athena named query (DeleteNamedQuery is not
  implemented, so a destroy retries for ever), and answers GetNamedQuery for
  a missing id with a 500, which the provider also retries for many minutes
  (the emulator's data is wiped when an in-process ``mock_aws`` ends in the
  same process); the emulator learns both while a stack is deployed.
* moto 5.2 fails (a 500) to delete a delete marker once a bucket's versioning is
  suspended, which a destroy does before it empties the bucket: an archive in
  which an object was ever deleted (``msgstatus replay`` moves its objects)
  could then never be destroyed, the provider retrying until its timeout. The
  emulator's delete markers learn to be deleted while a stack is deployed.
* moto 5.2 hands a table's stream records to a mapped function itself, through
  Docker, and empties the stream whatever happens; without Docker the records
  are simply lost. While a stack is deployed, the emulator's stream keeps its
  records, as DynamoDB's does, and devkit.streams plays the mapping. Likewise a
  mapped queue (the heal queue) keeps its messages, and devkit.queues plays it.
* moto 5.2 answers no SES suppression-list call, which the recipient page
  makes: the emulator learns them (devkit.ses_suppression) while a stack is
  deployed.
* moto 5.2 cannot update an HTTP API's stage (UpdateStage is not implemented:
  a 500, which the provider retries until its timeout), so an apply that
  changes the stage (its access-log format, in an upgrade) never ended; the
  emulator's stages learn to be updated while a stack is deployed.
* moto 5.2 keeps a queue's RedriveAllowPolicy but never answers it (the
  provider waits for ever for it to appear), and spaces out its RedrivePolicy
  (the provider plans an update after every apply); the emulator learns to
  answer both as SQS does.

What moto cannot create at all (SES v2 event destinations, for one) a caller
replaces with ``files``: extra ``*.tf`` files (override files included)
written into the copy of the example, each saying why in a comment.

Two overrides go into the copy of the module itself (MODULE_EMULATOR_FILES).
The sender-account submodule adds no SES v2 event destination (moto has none).
And moto 5.2 evaluates no condition keys, so it refuses every object request to a
bucket whose policy has a condition, TLS-only included. On the emulator the
archive bucket is deployed without its TLS-only policy, so that the demo, the
apply tests and ``msgstatus replay`` can read and write its objects as
Firehose and an operator do in AWS; the plan tests check the real policy.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import unquote

from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models.table import StreamShard
from moto.pinpoint.models import App
from moto.s3.models import FakeDeleteMarker
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from devkit import ROOT, terraform, tfdocs
from devkit.emulator import Emulator
from devkit.lambdas import LambdaProcess, deployed_function
from devkit.ses_suppression import suppression_list_like_ses
from devkit.streams import Invoke, MappingReport, MappingSettings, run_mapping, sqs_sender

AWS_LAYER_ACCOUNT = "017000801446"
RUNTIMES = ("python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("arm64", "x86_64")


@cache
def module_defaults() -> dict[str, Any]:
    """The root module's variable defaults, read from variables.tf (no second copy here)."""
    return {v.name: v.default for v in tfdocs.read_variables() if not v.required}


def layer_account(emulator: Emulator, user: str) -> dict[str, str]:
    """Access keys of a user in emulated account 017000801446, holding the Powertools layers."""

    def as_layer_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = AWS_LAYER_ACCOUNT

    iam = emulator.client("iam")
    iam.meta.events.register("before-send", as_layer_account)
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    credentials = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    publish_powertools_layers(emulator, credentials)
    return credentials


def powertools_layer_name(runtime: str, architecture: str) -> str:
    return f"AWSLambdaPowertoolsPythonV3-{runtime.replace('.', '')}-{architecture}"


def publish_powertools_layers(emulator: Emulator, credentials: Mapping[str, str]) -> None:
    """Publish every runtime and architecture's managed layer up to the module's default version."""
    client = emulator.client("lambda", credentials)
    wanted = int(module_defaults()["powertools_layer_version"])
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("python/aws_lambda_powertools/__init__.py", "")
    for runtime in RUNTIMES:
        for architecture in ARCHITECTURES:
            name = powertools_layer_name(runtime, architecture)
            existing = client.list_layer_versions(LayerName=name).get("LayerVersions", [])
            for _ in range(len(existing), wanted):
                client.publish_layer_version(
                    LayerName=name,
                    Content={"ZipFile": content.getvalue()},
                    CompatibleRuntimes=[runtime],
                    CompatibleArchitectures=[architecture],
                )


@contextmanager
def pinpoint_creation_date_as_string() -> Iterator[None]:
    original = App.to_json

    def to_json(self: Any) -> dict[str, Any]:
        data = original(self)
        if isinstance(data["CreationDate"], int | float):  # stacks can nest: patch once
            data["CreationDate"] = time.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(data["CreationDate"])
            )
        return data

    App.to_json = to_json  # type: ignore[method-assign]
    try:
        yield
    finally:
        App.to_json = original  # type: ignore[method-assign]


def _delete_named_query(self: Any) -> str:
    self.athena_backend.named_queries.pop(self._get_param("NamedQueryId"), None)
    return "{}"


def _get_named_query(original: Callable[[Any], str]) -> Callable[[Any], str]:
    """GetNamedQuery that answers a missing id as Athena does (InvalidRequestException,
    "... does not exist"), not with a 500 that the provider retries for many minutes."""

    def get_named_query(self: Any) -> str:
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.get_named_query(query_id) is None:
            raise JsonRESTError("InvalidRequestException", f"NamedQuery {query_id} does not exist")
        return original(self)

    return get_named_query


@contextmanager
def athena_named_queries_like_athena() -> Iterator[None]:
    """DeleteNamedQuery (moto 5.2 has none) and a GetNamedQuery that says when one is gone."""
    original_get = AthenaResponse.get_named_query
    AthenaResponse.get_named_query = _get_named_query(original_get)  # type: ignore[method-assign,assignment]
    added_delete = not hasattr(AthenaResponse, "delete_named_query")
    if added_delete:
        AthenaResponse.delete_named_query = _delete_named_query  # type: ignore[attr-defined]
    try:
        yield
    finally:
        AthenaResponse.get_named_query = original_get  # type: ignore[method-assign]
        if added_delete:
            del AthenaResponse.delete_named_query  # type: ignore[attr-defined]


def mapped_deliveries_kept(
    cls: type, method: str, mappings_of: Callable[[Any], Any]
) -> AbstractContextManager[Any]:
    """``cls.method`` adding its record with nothing mapped to deliver it to.

    moto 5.2 hands what a stream or queue adds to its mapped functions itself, through
    Docker, as it is added; without Docker the record is lost or counted as received.
    While a stack is deployed, the object ``mappings_of(self)`` (whose
    ``lambda_event_source_mappings`` moto reads) has none for the time of the call, so
    the record is kept, as AWS keeps it, and devkit.streams or devkit.queues plays the
    mapping.
    """
    original = getattr(cls, method)

    def keep(self: Any, *args: Any) -> Any:
        owner = mappings_of(self)
        mappings = owner.lambda_event_source_mappings
        owner.lambda_event_source_mappings = {}
        try:
            return original(self, *args)
        finally:
            owner.lambda_event_source_mappings = mappings

    return mock.patch.object(cls, method, keep)


def stream_records_kept() -> AbstractContextManager[Any]:
    """A table's stream keeps its records (devkit.streams plays the mapping)."""
    return mapped_deliveries_kept(StreamShard, "add", lambda shard: shard.table)


@contextmanager
def delete_markers_deletable() -> Iterator[None]:
    """Delete markers that a suspended bucket can delete, as S3's can.

    With versioning suspended, moto 5.2 deletes every version of a key at once
    and releases each one's data through ``dispose()``, which its delete markers
    lack (AttributeError, a 500 to the caller). A delete marker holds no data:
    there is nothing to release.
    """
    added = not hasattr(FakeDeleteMarker, "dispose")
    if added:
        FakeDeleteMarker.dispose = lambda self, garbage=False: None  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if added:
            del FakeDeleteMarker.dispose  # type: ignore[attr-defined]


# UpdateStage's request fields (API Gateway v2's camelCase) => the emulator stage's attributes.
STAGE_FIELDS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "defaultRouteSettings": "default_route_settings",
    "description": "description",
    "routeSettings": "route_settings",
    "stageVariables": "stage_variables",
}


def _update_stage(self: Any) -> tuple[int, dict[str, str], str]:
    """UpdateStage as API Gateway answers it: the fields given replace the stage's, and the
    stage is returned."""
    api_id, stage_name = self.path.split("/")[-3], unquote(self.path.split("/")[-1])
    stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
    request = json.loads(self.body or "{}")
    for name, attribute in STAGE_FIELDS.items():
        if name in request:
            setattr(stage, attribute, request[name])
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())


@contextmanager
def api_stages_updatable() -> Iterator[None]:
    """UpdateStage, which moto 5.2's API Gateway v2 lacks."""
    added = not hasattr(ApiGatewayV2Response, "update_stage")
    if added:
        ApiGatewayV2Response.update_stage = _update_stage  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if added:
            del ApiGatewayV2Response.update_stage  # type: ignore[attr-defined]


def queue_messages_kept() -> AbstractContextManager[Any]:
    """A queue keeps its messages (devkit.queues plays the heal queue's mapping)."""
    return mapped_deliveries_kept(Queue, "add_message", lambda queue: queue)


@contextmanager
def redrive_policies_as_sqs_answers() -> Iterator[None]:
    """moto 5.2 keeps a queue's RedriveAllowPolicy but never returns it, and refuses to be
    asked for it by name (the provider then waits for ever for it), and returns a
    RedrivePolicy with spaces SQS does not write (the provider then plans an update after
    every apply). While a stack is deployed, a queue answers both as SQS does."""
    original = SQSBackend.get_queue_attributes

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> Any:
        others = [name for name in attribute_names if name != "RedriveAllowPolicy"]
        answer = dict(original(self, queue_name, others)) if others else {}
        if answer.get("RedrivePolicy"):
            compact = json.dumps(json.loads(answer["RedrivePolicy"]), separators=(",", ":"))
            answer["RedrivePolicy"] = compact
        allow = getattr(self.get_queue(queue_name), "redrive_allow_policy", None)
        if allow and ("All" in attribute_names or "RedriveAllowPolicy" in attribute_names):
            answer["RedriveAllowPolicy"] = allow
        return answer

    SQSBackend.get_queue_attributes = get_queue_attributes  # type: ignore[method-assign]
    try:
        yield
    finally:
        SQSBackend.get_queue_attributes = original  # type: ignore[method-assign]


@dataclass
class Stack:
    """An example applied to the emulator."""

    emulator: Emulator
    module_root: Path  # the copy of the repository's module tree
    workdir: Path  # the example's directory inside it
    env: dict[str, str]
    credentials: dict[str, str]
    log: Path
    files: dict[str, str] = field(default_factory=dict)  # written into the example's copy
    outputs: dict[str, Any] = field(default_factory=dict)

    def terraform(self, *args: str, check: bool = True) -> terraform.Result:
        return terraform.run(self.workdir, self.env, *args, log=self.log, check=check)

    def apply(self) -> None:
        self.terraform("apply", "-auto-approve", "-input=false", "-no-color")
        self.outputs = terraform.outputs(self.workdir, self.env, self.log)

    def plan_json(self, *, refresh: bool = True) -> dict[str, Any]:
        """The plan of the current configuration against the deployed state, as JSON.

        ``refresh=False`` trusts the state as the last apply left it (no read of
        every resource back from the emulator): faster, for a plan read only for
        the configuration's values.
        """
        options = () if refresh else ("-refresh=false",)
        self.terraform("plan", "-input=false", "-no-color", *options, "-out=devkit.tfplan")
        return dict(json.loads(self.terraform("show", "-json", "devkit.tfplan").stdout))

    def plan_is_empty(self) -> tuple[bool, str]:
        """(no changes, plan output) for the current configuration."""
        result = self.terraform(
            "plan", "-detailed-exitcode", "-input=false", "-no-color", check=False
        )
        if result.returncode == 1:
            raise terraform.TerraformFailed(f"terraform plan failed: see {self.log}")
        return result.returncode == 0, result.stdout

    def write_files(self, files: Mapping[str, str]) -> None:
        """Add (or replace) files in the example's copy; an empty text removes the file."""
        for name, text in files.items():
            self.files[name] = text
            if text:
                (self.workdir / name).write_text(text)
            else:
                (self.workdir / name).unlink(missing_ok=True)
                del self.files[name]

    def replace_module(self, source: Path = ROOT) -> None:
        """Swap the module and the example for ``source``'s (an upgrade), keeping the state."""
        for tf_file in [*self.module_root.glob("*.tf"), *self.workdir.glob("*.tf")]:
            tf_file.unlink()
        shutil.rmtree(self.module_root / "dist")
        terraform.copy_module(self.module_root, source)
        write_module_emulator_files(self.module_root)
        self.write_files(dict(self.files))
        self.terraform("init", "-input=false", "-no-color")

    def client(self, service: str) -> Any:
        return self.emulator.client(service, self.credentials)

    @property
    def runtime_env(self) -> dict[str, str]:
        """What deployed code needs, on top of its configured environment, to reach the emulator."""
        return {
            **self.emulator.env,
            "AWS_ACCESS_KEY_ID": self.credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": self.credentials["aws_secret_access_key"],
        }

    def play_stream_mapping(
        self, invoke: Invoke, records: Sequence[dict[str, Any]]
    ) -> MappingReport:
        """Hand ``records`` of the table's stream to ``invoke`` (the stream function) as the
        module's event-source mapping would, with its settings; failed batches go to its
        on-failure queue (the emulator runs no mappings: devkit.streams)."""
        (mapping,) = self.client("lambda").list_event_source_mappings(
            EventSourceArn=self.outputs["table_stream_arn"]
        )["EventSourceMappings"]
        settings = MappingSettings.of(mapping)
        failures = sqs_sender(self.client("sqs"), settings.on_failure_arn or "")
        return run_mapping(invoke, records, settings, failures)

    def queued_bodies(self, queue_arn: str) -> list[str]:
        """The bodies of a queue's messages, delayed ones included: the emulator keeps SQS's
        delay by the wall clock, and devkit.queues plays it on a clock of its own."""
        _, _, _, region, account, name = queue_arn.split(":")
        queue = sqs_backends[account][region].queues[name]
        return [message.body for message in queue._messages]

    @contextmanager
    def function(
        self, output: str, extra_env: Mapping[str, str] | None = None
    ) -> Iterator[LambdaProcess]:
        """The deployed code of the function named by ``output``, running as Lambda runs it."""
        with deployed_function(
            self.client("lambda"),
            self.outputs[output],
            {**self.runtime_env, **(extra_env or {})},
        ) as process:
            yield process


@contextmanager
def deployed(
    example: str,
    emulator: Emulator,
    scratch: Path,
    *,
    variables: Mapping[str, Any] | None = None,
    files: Mapping[str, str] | None = None,
    module_source: Path = ROOT,
    on_step: Callable[[str], None] = lambda _message: None,
) -> Iterator[Stack]:
    """Apply ``examples/<example>`` (a copy under ``scratch``) to the emulator; destroy it after.

    ``variables`` go to a tfvars file, ``files`` are written into the example's
    copy as they are, and ``module_source`` is the tree the module is copied
    from (another revision of this repository, for upgrade tests).
    """
    credentials = layer_account(emulator, f"devkit-{example}-{time.time_ns()}")
    module_root = terraform.copy_module(scratch / "module", module_source)
    write_module_emulator_files(module_root)
    workdir = module_root / "examples" / example
    if variables:
        terraform.write_variables(workdir, variables)
    env = terraform.environment(
        {
            **emulator.env,
            "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
        },
        config_dir=scratch,
    )
    stack = Stack(emulator, module_root, workdir, env, credentials, scratch / "terraform.log")
    stack.write_files(files or {})
    with (
        pinpoint_creation_date_as_string(),
        stream_records_kept(),
        queue_messages_kept(),
        redrive_policies_as_sqs_answers(),
        athena_named_queries_like_athena(),
        delete_markers_deletable(),
        suppression_list_like_ses(),
        api_stages_updatable(),
    ):
        on_step("terraform init")
        stack.terraform("init", "-input=false", "-no-color")
        try:
            on_step("terraform apply")
            stack.apply()
            yield stack
        finally:
            on_step("terraform destroy")
            stack.terraform("destroy", "-auto-approve", "-input=false", "-no-color", check=False)


# What each example needs on the emulator, on top of its own files. moto has no
# SES v2 event destinations (and reads SES v2 configuration sets back in a shape
# the provider rejects), so a Pinpoint project stands in for the examples' SES
# configuration set: the same module, with another source the emulator can create.
_SES_TO_PINPOINT = {
    "emulator_source.tf": """\
# devkit: moto has no SES v2 event destinations, so on the emulator a Pinpoint
# project stands in for this example's SES configuration set.
resource "aws_pinpoint_app" "emulator" {
  name = var.name
}
""",
    "emulator_override.tf": """\
# devkit: the emulator's stand-in source (emulator_source.tf) replaces SES.
resource "aws_sesv2_configuration_set" "this" {
  count = 0
}

module "message_status" {
  ses_configuration_set_names = []
  pinpoint_applications       = { emulator = aws_pinpoint_app.emulator.application_id }
}
""",
}
_DESTROYABLE = {
    "emulator_destroyable_override.tf": """\
# devkit: a disposable deployment, so that destroy removes the table and bucket.
module "message_status" {
  deletion_protection_enabled = false
  force_destroy               = true
}
""",
}
MODULE_EMULATOR_FILES = {
    "emulator_bucket_policy_override.tf": """\
# devkit: moto 5.2 evaluates no policy condition keys and refuses every object
# request to a bucket whose policy has one (the TLS-only statement included), so
# on the emulator the archive bucket has no policy. The plan tests check it.
resource "aws_s3_bucket_policy" "archive" {
  count = 0
}
""",
    "modules/sender-account/emulator_ses_destination_override.tf": """\
# devkit: moto 5.2 has no SES v2 event destinations, so on the emulator a sender
# account adds none to its configuration sets; its forwarding rules, their role
# and the hub's bus are created as in AWS. The plan tests check the destinations.
resource "aws_sesv2_configuration_set_event_destination" "this" {
  for_each = toset([])
}
""",
}


def write_module_emulator_files(module_root: Path) -> None:
    for name, text in MODULE_EMULATOR_FILES.items():
        path = module_root / name
        if path.parent.is_dir():  # a revision without submodules has no modules/
            path.write_text(text)


_SENDERS_WITHOUT_SES = {
    "emulator_override.tf": """\
# devkit: moto has no SES v2 event destinations (and reads SES v2 configuration
# sets back in a shape the provider rejects), so on the emulator the sender
# accounts name their configuration sets without creating them.
resource "aws_sesv2_configuration_set" "shop" {
  count = 0
}

resource "aws_sesv2_configuration_set" "billing" {
  count = 0
}

module "shop" {
  ses_configuration_set_names = ["${var.name}-shop"]
}

module "billing" {
  ses_configuration_set_names = ["${var.name}-billing"]
}
""",
}
EMULATOR_FILES: dict[str, dict[str, str]] = {
    "basic": _SES_TO_PINPOINT,
    "complete": {**_SES_TO_PINPOINT, **_DESTROYABLE},
    "multi-account": {**_SENDERS_WITHOUT_SES, **_DESTROYABLE},
}


def emulator_files(example: str) -> dict[str, str]:
    """The files that let ``examples/<example>`` apply on the emulator (see EMULATOR_FILES)."""
    return dict(EMULATOR_FILES.get(example, {}))
