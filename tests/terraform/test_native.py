"""Run the native `terraform test` files (mocked provider) on the module copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.terraform.conftest import Workspace

NATIVE = Path(__file__).parent / "native"


def test_native_terraform_tests_pass(root: Workspace) -> None:
    target = root.path / "native-tests"
    shutil.copytree(NATIVE, target, dirs_exist_ok=True)
    output = root.tf.execute_command("test", "-no-color", f"-test-directory={target.name}").out
    assert "0 failed" in output, output
