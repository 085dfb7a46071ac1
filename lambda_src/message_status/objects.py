"""S3 edge: the archive bucket's objects, copied down and written back conditionally.

An error object is copied into a local file before it is read (``download``):
its records are written to DynamoDB in chunks that may take a while under
throttling, and a GetObject stream left unread that long may be cut by S3.
The file is the caller's (a spooled temporary file: memory up to a size, then
the function's /tmp), so memory stays bounded whatever the object's size.

Every call on an object S3 told of carries the ETag it had then (If-Match:
"How to perform conditional deletes" and "How to prevent object overwrites
with conditional writes", Amazon S3 User Guide), so that an object replaced
since is neither read as the old one, nor deleted, nor overwritten: the new
content has a notification of its own. A missing object (NoSuchKey) or a
changed one (PreconditionFailed) is ``ObjectGone``; every other failure is one
of ``call_errors.CALL_ERRORS``, for the caller to retry later.
"""

from __future__ import annotations

import shutil
from typing import IO, Any

from botocore.exceptions import ClientError

from .budget import Deadline
from .call_errors import error_code

COPY_CHUNK_BYTES = 1024 * 1024
# The object is not there (any more), or no longer has the ETag asked for.
GONE_CODES = frozenset({"NoSuchKey", "404", "PreconditionFailed", "412"})


class ObjectGone(Exception):
    """The object was deleted or replaced since it was notified."""


def _gone(err: ClientError) -> bool:
    return error_code(err) in GONE_CODES


class ArchiveBucket:
    """One bucket's objects, every call within the invocation's deadline."""

    def __init__(self, client: Any, bucket: str, deadline: Deadline | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.deadline = deadline or Deadline()

    def download(self, key: str, etag: str | None, into: IO[bytes]) -> None:
        """Copy the object (as it was at ``etag``) into ``into``; ObjectGone when it is not."""
        condition = {"IfMatch": etag} if etag else {}
        self.deadline.require_call()
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, **condition)
        except ClientError as err:
            if _gone(err):
                raise ObjectGone(key) from err
            raise
        with response["Body"] as body:
            shutil.copyfileobj(body, into, COPY_CHUNK_BYTES)

    def put(self, key: str, body: IO[bytes], *, if_match: str | None = None) -> None:
        """Write ``body`` (from its start) to ``key``; with ``if_match``, only over that content
        (ObjectGone when the key holds another)."""
        body.seek(0)
        condition = {"IfMatch": if_match} if if_match else {}
        self.deadline.require_call()
        try:
            # No Content-Encoding, as Firehose writes its objects: a .gz file, not a
            # body for HTTP clients to inflate on the way.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **condition)
        except ClientError as err:
            if if_match and _gone(err):
                raise ObjectGone(key) from err
            raise

    def delete(self, key: str, etag: str | None) -> None:
        """Delete the object if it still is as it was at ``etag``; ObjectGone when it is not."""
        condition = {"IfMatch": etag} if etag else {}
        self.deadline.require_call()
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, **condition)
        except ClientError as err:
            if _gone(err):
                raise ObjectGone(key) from err
            raise
