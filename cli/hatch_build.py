"""Build hook: the msgstatus wheel ships the service's pure core, ``message_status``.

The client takes its status vocabulary from the same core the Lambda functions
run (lambda_src/message_status), so there is one definition of it and no copy in
the repository. Where the core comes from:

* a wheel built from the repository (``pip install ./cli``, ``pip wheel ./cli``):
  ``../lambda_src/message_status``, beside cli/;
* an sdist: the same directory, copied to the sdist's root, where a wheel built
  from that sdist finds it;
* an editable install (``pip install -e ./cli``): nothing is copied. Its .pth
  puts ``../lambda_src`` on the path (``dev-mode-dirs`` in pyproject.toml), so
  the environment runs the tree's core, never a stale copy of it.

hatchling's ``force-include`` setting alone would copy the core into editable
installs too, which is why this is a hook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

CORE = "message_status"


def core_source(root: Path) -> Path:
    """The core's directory: an sdist's own copy, else the repository's lambda_src."""
    for candidate in (root / CORE, root.parent / "lambda_src" / CORE):
        if (candidate / "model.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"msgstatus is built with the core in ../lambda_src/{CORE}: build it from a "
        f"checkout of the whole repository (pip install ./cli), not from cli/ alone"
    )


class CoreHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        build_data["force_include"][str(core_source(Path(self.root)))] = CORE
