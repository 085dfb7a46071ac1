"""The SES suppression list on the emulator: moto 5.2 answers no suppression-list call.

``suppression_list_like_ses`` teaches moto's SES API v2 three calls, with the
answers SES documents (SES API v2 reference): ``GetSuppressedDestination``
(``NotFoundException`` for an address the list does not hold),
``PutSuppressedDestination`` and ``DeleteSuppressedDestination``. There is one
list per account and Region, and one per tenant (``TenantName``); addresses
are matched case-sensitively, as SES matches them.

``suppress`` puts an address on a list as SES itself does after a hard bounce
or a complaint: with the message and feedback ids, which
``PutSuppressedDestination`` cannot set.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.exceptions import NotFoundException
from moto.sesv2 import urls as sesv2_urls
from moto.sesv2.models import SESV2Backend, sesv2_backends
from moto.sesv2.responses import SESV2Response

Entry = dict[str, Any]


def entries(backend: SESV2Backend) -> dict[tuple[str, str], Entry]:
    """The backend's suppression lists, by (tenant or "", address); made on first use, so
    moto's reset of its backends empties them too."""
    lists: dict[tuple[str, str], Entry] | None = getattr(backend, "suppressed_destinations", None)
    if lists is None:
        lists = {}
        backend.suppressed_destinations = lists  # type: ignore[attr-defined]
    return lists


def suppress(
    address: str,
    reason: str = "BOUNCE",
    *,
    message_id: str | None = None,
    feedback_id: str | None = None,
    at: float | None = None,
    tenant: str | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = "us-east-1",
) -> None:
    """Put ``address`` on a list as SES does when a message to it bounced or was complained
    about (``at``: epoch seconds, default now)."""
    entry: Entry = {"EmailAddress": address, "Reason": reason, "LastUpdateTime": at or time.time()}
    attributes = {"MessageId": message_id, "FeedbackId": feedback_id}
    if any(attributes.values()):
        entry["Attributes"] = {key: value for key, value in attributes.items() if value}
    if tenant:
        entry["TenantName"] = tenant
    entries(sesv2_backends[account_id][region])[(tenant or "", address)] = entry


def _key(response: SESV2Response) -> tuple[str, str]:
    return (response._get_param("TenantName") or "", response._get_param("EmailAddress"))


def _get(self: SESV2Response) -> str:
    entry = entries(self.sesv2_backend).get(_key(self))
    if entry is None:
        raise NotFoundException(
            f"Email address {_key(self)[1]} does not exist on your suppression list."
        )
    return json.dumps({"SuppressedDestination": entry})


def _put(self: SESV2Response) -> str:
    tenant, address = _key(self)
    suppress(
        address,
        self._get_param("Reason"),
        tenant=tenant or None,
        account_id=self.current_account,
        region=self.region,
    )
    return json.dumps({})


def _delete(self: SESV2Response) -> str:
    if entries(self.sesv2_backend).pop(_key(self), None) is None:
        raise NotFoundException(
            f"Email address {_key(self)[1]} does not exist on your suppression list."
        )
    return json.dumps({})


CALLS = {
    "get_suppressed_destination": _get,
    "put_suppressed_destination": _put,
    "delete_suppressed_destination": _delete,
}


# The server's routes (moto_server reads url_paths when it first serves SES v2): its
# catch-all "/v2/.*" matches in-process requests only.
PATHS = {
    "{0}/v2/email/suppression/addresses$": SESV2Response.dispatch,
    "{0}/v2/email/suppression/addresses/(?P<EmailAddress>[^/]+)$": SESV2Response.dispatch,
}


@contextmanager
def suppression_list_like_ses() -> Iterator[None]:
    """moto's SES API v2 answers the suppression-list calls while inside, in-process and in
    a moto server."""
    added = [name for name in CALLS if not hasattr(SESV2Response, name)]
    for name in added:
        setattr(SESV2Response, name, CALLS[name])
    routed = [path for path in PATHS if path not in sesv2_urls.url_paths]
    sesv2_urls.url_paths.update({path: PATHS[path] for path in routed})
    try:
        yield
    finally:
        for name in added:
            delattr(SESV2Response, name)
        for path in routed:
            del sesv2_urls.url_paths[path]
