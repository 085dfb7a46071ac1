"""What a module imports, read from its source (the core's and the edges' boundaries)."""

from __future__ import annotations

import ast
from pathlib import Path


def imports(path: Path) -> set[str]:
    """The modules ``path`` imports: absolute ones by dotted name (``os``, ``message_status.store``),
    relative ones as ``.name`` (``.store``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            found |= {f".{node.module or alias.name}" for alias in node.names}
    return found


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}
