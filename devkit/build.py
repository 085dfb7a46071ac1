"""Build the functions' zips (dist/transform.zip, query.zip, stream.zip and heal.zip),
byte-for-byte reproducibly, and dist/archive_columns.json, the archive line's columns that
the Glue table declares.

Entries are sorted, stored (not deflated, so the bytes do not depend on the
local zlib), dated 1980-01-01 and mode 0644, with no directory entries and no
__pycache__. The zips hold only our code: boto3 comes from the Lambda runtime
and aws-lambda-powertools from the AWS-managed layer.

Usage: python -m devkit.build [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

from message_status.events import ARCHIVE_LINE_COLUMNS

from devkit import DIST, LAMBDA_SRC

SRC = LAMBDA_SRC
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
SHARED_PACKAGE = "message_status"
# zip name -> the handler module that becomes app.py at the zip's root
FUNCTIONS = ("transform", "query", "stream", "heal")
PACKAGES = {name: SRC / name / "app.py" for name in FUNCTIONS}


def package_files(handler: Path) -> dict[str, bytes]:
    """Archive name -> content for one function package."""
    files = {"app.py": handler.read_bytes()}
    for path in sorted((SRC / SHARED_PACKAGE).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        files[path.relative_to(SRC).as_posix()] = path.read_bytes()
    return files


def write_zip(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # Unix, whatever machine builds it
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, files[name])


def archive_columns() -> str:
    """The archive line's columns as the Glue table reads them (analytics.tf): generated
    from message_status.events.ARCHIVE_LINE_COLUMNS, never written by hand."""
    columns = [{"name": name, "type": type_} for name, type_ in ARCHIVE_LINE_COLUMNS]
    return json.dumps(columns, indent=2) + "\n"


def build(out: Path) -> list[Path]:
    written = []
    for name, handler in PACKAGES.items():
        target = out / f"{name}.zip"
        write_zip(target, package_files(handler))
        written.append(target)
    columns = out / "archive_columns.json"
    columns.write_text(archive_columns())
    written.append(columns)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DIST)
    args = parser.parse_args()
    for path in build(args.out):
        print(f"built {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
