"""Terraform gets a provider mirror only when the registry is unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import tfenv


@pytest.fixture
def no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)


def test_online_machine_gets_no_overrides(monkeypatch, no_user_config) -> None:
    monkeypatch.setattr(tfenv, "registry_reachable", lambda timeout=3.0: True)
    assert tfenv.terraform_env() == {}


def test_offline_machine_gets_a_filesystem_mirror_config(
    monkeypatch, tmp_path, no_user_config
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / tfenv.PROVIDER_DIR).mkdir(parents=True)
    monkeypatch.setattr(tfenv, "registry_reachable", lambda timeout=3.0: False)
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(mirror))
    overrides = tfenv.terraform_env(tmp_path / "rc")
    config = Path(overrides["TF_CLI_CONFIG_FILE"]).read_text()
    assert f'path    = "{mirror}"' in config
    assert "filesystem_mirror" in config


def test_existing_user_config_is_left_alone(monkeypatch, tmp_path) -> None:
    own = tmp_path / "terraformrc"
    own.write_text("# mine\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(own))
    monkeypatch.setattr(tfenv, "registry_reachable", lambda timeout=3.0: False)
    assert tfenv.terraform_env(tmp_path / "rc") == {}
