"""How a failed AWS call is named in logs: by its error code, never by its message.

AWS's error messages can echo request values (a key holding an address, an
item's content), so every edge logs the code alone: a ``ClientError``'s
``Error.Code`` (``AccessDeniedException`` reads differently from
``ThrottlingException``), botocore's exception class for transport errors
(``ReadTimeoutError``, ``EndpointConnectionError``), and our own codes for a
call that answered without doing all its work or could not start in time.

Logs are not the only way out: the X-Ray SDK records every failed call's
exception, message included, in the trace. ``without_error_messages`` keeps
AWS's message out of a client's exceptions altogether (SES's NotFoundException
names the address it was asked about).
"""

from __future__ import annotations

from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from .budget import OutOfTime


class IncompleteCall(Exception):
    """A call that answered, after every retry, without doing all its work."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# What an AWS call can raise that an edge catches and reports by error_code.
CALL_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, IncompleteCall, OutOfTime)


def error_code(err: BaseException) -> str:
    """The code a failed call is logged under: AWS's, botocore's class name, or ours."""
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code") or "Unknown")
    if isinstance(err, IncompleteCall):
        return err.code
    return type(err).__name__


MESSAGE_LEFT_OUT: Final = "(AWS's message left out: it may echo request values)"


def _leave_message_out(parsed: dict[str, Any], **_: Any) -> None:
    error = parsed.get("Error")
    if isinstance(error, dict) and error.get("Message"):
        error["Message"] = MESSAGE_LEFT_OUT


def without_error_messages(client: Any) -> Any:
    """``client``, whose ClientErrors carry AWS's error code but never its message: botocore
    emits after-call before it raises, with the parsed answer the exception is made of."""
    client.meta.events.register("after-call", _leave_message_out)
    return client
