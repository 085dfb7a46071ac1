"""Run the native `terraform test` files (tests/*.tftest.hcl, mocked provider) on the module copy."""

from __future__ import annotations

from devkit import terraform
from tests.terraform.conftest import Workspace


def test_native_terraform_tests_pass(root: Workspace) -> None:
    result = terraform.run(root.path, root.env, "test", "-no-color", check=False)
    assert result.returncode == 0, result.output
    assert " 0 failed" in result.stdout, result.output
