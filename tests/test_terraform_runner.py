"""devkit.terraform.run: a terraform command that never ends (a provider retrying a call the
emulator keeps failing) is stopped at its timeout with a clear error; it never hangs a run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from devkit import terraform
from devkit.terraform import TerraformFailed

STUCK_TERRAFORM = """\
#!/bin/sh
echo "module.x.aws_s3_bucket.archive: Still destroying..."
exec sleep 30
"""


def test_a_command_past_its_timeout_is_stopped_with_what_it_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "terraform").write_text(STUCK_TERRAFORM)
    (bin_dir / "terraform").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    log = tmp_path / "terraform.log"
    started = time.monotonic()
    with pytest.raises(TerraformFailed, match=r"terraform destroy did not finish in 1 s"):
        terraform.run(tmp_path, dict(os.environ), "destroy", log=log, check=False, timeout=1)
    assert time.monotonic() - started < 10
    assert "Still destroying" in log.read_text()
