"""Amazon SES edge: reads an address's entry on a suppression list (SES API v2).

One call, ``GetSuppressedDestination``, that the query role may make and no
other SES call. The recipient page must answer whatever SES does, so this edge
never raises for SES: an address SES does not list (``NotFoundException``) is
NOT_SUPPRESSED, and every failure (``TooManyRequestsException``, access denied,
a timeout, no route to SES, no time left in the invocation) is UNKNOWN with its
error code (``call_errors``), never AWS's message, which may echo the address.

Like every edge, it takes a ``CallBudget`` for its client (``budget``) and a
``Deadline`` per invocation, and depends on no other edge.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .budget import Deadline
from .call_errors import CALL_ERRORS, error_code
from .suppression import Lookup, from_answer, not_listed, unknown

NOT_LISTED = "NotFoundException"


class SuppressionReader:
    """Looks one spelling of an address up on the account's or a tenant's suppression list."""

    def __init__(self, client: Any, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock
        self.deadline = Deadline()  # set per invocation by the handler

    def lookup(self, address: str, tenant: str | None = None) -> Lookup:
        """SES's answer for ``address`` exactly as spelled (SES matches case)."""
        request = {"EmailAddress": address, **({"TenantName": tenant} if tenant else {})}
        try:
            self.deadline.require_call()
            response = self.client.get_suppressed_destination(**request)
        except ClientError as err:
            code = error_code(err)
            return not_listed(self.now_ms()) if code == NOT_LISTED else unknown(code, self.now_ms())
        except CALL_ERRORS as err:
            return unknown(error_code(err), self.now_ms())
        destination = response.get("SuppressedDestination")
        return from_answer(destination if isinstance(destination, dict) else {}, self.now_ms())

    def now_ms(self) -> int:
        return int(self.clock() * 1000)
