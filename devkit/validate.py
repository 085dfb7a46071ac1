"""`terraform validate` of the root module and of every example, on a disposable copy.

    python -m devkit.validate     # make lint runs it; exits 1 on the first invalid directory

Copies keep the working tree free of .terraform/ directories and lock files.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from devkit import ROOT, terraform


def examples(root: Path = ROOT) -> list[str]:
    """The example root modules, by directory name."""
    return sorted(path.parent.name for path in (root / "examples").glob("*/versions.tf"))


def validate_all(scratch: Path) -> list[str]:
    """Validate every directory; return one line per directory."""
    copy = terraform.copy_module(scratch / "module")
    env = terraform.environment(config_dir=scratch)
    lines = []
    for directory in [copy, *(copy / "examples" / name for name in examples())]:
        terraform.run(directory, env, "init", "-backend=false", "-input=false", "-no-color")
        terraform.run(directory, env, "validate", "-no-color")
        lines.append(f"valid: {directory.relative_to(copy).as_posix() or '.'}")
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="devkit-validate-") as tmp:
        try:
            for line in validate_all(Path(tmp)):
                print(line)
        except terraform.TerraformFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
