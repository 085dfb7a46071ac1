"""The committed dist/ zips: reproducible, current, small, and loadable as Lambda loads them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.handlers import zipped_app

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("lambda_build", ROOT / "lambda_src" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)

ZIPS = ["transform.zip", "query.zip"]


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = build.build(tmp_path / "a"), build.build(tmp_path / "b")
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("name", ZIPS)
def test_committed_zip_matches_a_fresh_build(tmp_path: Path, name: str) -> None:
    build.build(tmp_path)
    assert (ROOT / "dist" / name).read_bytes() == (tmp_path / name).read_bytes(), (
        "dist/ is stale: run `make build` and commit dist/"
    )


@pytest.mark.parametrize("name", ZIPS)
def test_zip_entries_are_normalized_and_hold_only_our_code(name: str) -> None:
    with zipfile.ZipFile(ROOT / "dist" / name) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert "app.py" in names
    assert all(n == "app.py" or n.startswith("message_status/") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.external_attr >> 16 == 0o100644
    assert (ROOT / "dist" / name).stat().st_size < 100_000


@pytest.mark.parametrize(
    ("name", "module_doc"), [("transform.zip", "Firehose"), ("query.zip", "Query API")]
)
def test_zip_loads_with_table_name_alone(aws_env, name: str, module_doc: str) -> None:
    with zipped_app((ROOT / "dist" / name).read_bytes(), {"TABLE_NAME": "t"}) as app:
        assert callable(app.lambda_handler)
        assert module_doc in app.__doc__


SDK_PACKAGES = "{'boto3', 'botocore', 'aws_lambda_powertools'}"
CORE_PROBE = (
    "import sys; import message_status.pipeline, message_status.item, message_status.requests; "
    f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {SDK_PACKAGES})))"
)


def test_pure_core_imports_no_aws_sdk() -> None:
    """Parsing, merging, items and the pipeline load without boto3 or Powertools (the edges do)."""
    out = subprocess.run(
        [sys.executable, "-c", CORE_PROBE],
        cwd=ROOT / "lambda_src",
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""
