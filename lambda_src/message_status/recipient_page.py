"""``GET /recipients/{address}``: one recipient's page, pure. Tested without AWS.

The page answers three things about an email address or a phone number:

* ``suppression``: whether Amazon SES suppresses the address, straight from
  SES (``suppression``, ``ses``), and the message that put it there, linked to
  our stored message when we have it;
* ``messages``: its latest messages, newest first, a page of the recipient
  search (``search``) with the usual ``next_cursor``;
* ``counts``: those messages counted by this recipient's own outcome (a
  message to several recipients counts by what happened to this one), over
  this page only, as ``counts.covers`` says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import quote, unquote

from . import model
from .answers import MAX_BODY_BYTES
from .model import Channel, Status
from .parse import TENANT_NAME
from .recipients import NotARecipient, normalize_recipient
from .requests import BadRequest
from .search import Search, parse_search
from .suppression import Lookup, State
from .timefmt import to_iso

PAGE_PARAMETERS: Final = ("limit", "cursor", "tenant")
# Room kept beside the messages for the address, the suppression and the counts: each
# of their values is bounded (254-character addresses, 256-character ids, SES's values
# cut at suppression.MAX_VALUE_LENGTH, one count per status), and their escaped worst
# case, every character outside the BMP, is about 40 KB (test_suppression proves it).
RESERVED_BYTES: Final = 65_536
MESSAGES_BUDGET: Final = MAX_BODY_BYTES - RESERVED_BYTES
NOT_APPLICABLE_DETAIL: Final = (
    "Amazon SES suppression lists hold email addresses only. A phone number's opt-out is kept "
    "in an AWS End User Messaging SMS opt-out list, which this API does not read; an opt-out "
    "shows as OPTED_OUT among the messages."
)


@dataclass(frozen=True)
class RecipientRequest:
    """A validated ``GET /recipients/{address}``."""

    given: str  # the address as asked, trimmed: SES matches the case of its entries
    address: str  # normalized, as the table keeps it
    channel: Channel
    tenant: str | None
    search: Search

    @property
    def list_name(self) -> str:
        return "tenant" if self.tenant else "account"


def path_address(raw: str) -> str:
    """The address from ``/recipients/{address}``, percent-decoded once more, as message ids
    are (``requests.path_message_id``)."""
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as err:
        raise BadRequest("address in the path is not UTF-8 once percent-decoded") from err


def recipient_request(
    raw: str, params: Mapping[str, str], now_ms: int, shards: int
) -> RecipientRequest:
    """The request, checked; BadRequest with a message naming the fix."""
    given = path_address(raw).strip()
    try:
        address = normalize_recipient(given)
    except NotARecipient as err:
        raise BadRequest(f"the address is {err}: give an email address or an E.164 phone") from err
    unknown = set(params) - set(PAGE_PARAMETERS)
    if unknown:
        raise BadRequest(
            f"unknown parameter: {sorted(unknown)[0]} (this path takes limit, cursor, tenant)"
        )
    channel = Channel.EMAIL if "@" in address else Channel.SMS
    tenant = params.get("tenant")
    if tenant is not None:
        if channel is not Channel.EMAIL:
            raise BadRequest("tenant applies to email addresses only")
        if not TENANT_NAME.fullmatch(tenant):
            raise BadRequest("tenant must be an SES tenant name: 1 to 64 letters, digits, - or _")
    search_params = {
        "recipient": address,
        **{k: params[k] for k in ("limit", "cursor") if k in params},
    }
    search = parse_search(search_params, now_ms, shards)
    return RecipientRequest(given, address, channel, tenant, search)


# --- the messages and their counts ---------------------------------------------------------


class Outcome(StrEnum):
    """What a status means for the recipient, from the model's DELIVERED_STATUSES."""

    DELIVERED = "delivered"  # final, and the message reached the recipient
    NOT_DELIVERED = "not_delivered"  # final, and it did not (or no receipt says it did)
    NOT_FINAL = "not_final"


def recipient_outcome(document: Mapping[str, Any], address: str) -> tuple[str, bool]:
    """This recipient's own status and finality in a message (the message's, if the
    document does not list the recipient)."""
    recipients = document.get("recipients")
    own = recipients.get(address) if isinstance(recipients, Mapping) else None
    source = own if isinstance(own, Mapping) else document
    return str(source["status"]), bool(source["is_final"])


def outcome_of(status: str, final: bool) -> Outcome:
    if not final:
        return Outcome.NOT_FINAL
    return (
        Outcome.DELIVERED if Status(status) in model.DELIVERED_STATUSES else Outcome.NOT_DELIVERED
    )


def counts(address: str, documents: Sequence[Mapping[str, Any]], more: bool) -> dict[str, Any]:
    """The page's messages by this recipient's own status and outcome, and what that covers."""
    outcomes = [recipient_outcome(document, address) for document in documents]
    by_outcome = Counter(outcome_of(status, final) for status, final in outcomes)
    n = len(documents)
    covers = (
        f"this page only: the {n} message{'' if n == 1 else 's'} listed, each counted by this "
        "recipient's own outcome"
    )
    if more:
        covers += "; the messages on the next pages (next_cursor) are not counted"
    return {
        "covers": covers,
        "messages": n,
        "by_outcome": {outcome.value: by_outcome.get(outcome, 0) for outcome in Outcome},
        "by_status": dict(sorted(Counter(status for status, _ in outcomes).items())),
    }


# --- the suppression and its cause -----------------------------------------------------------


def message_href(message_id: str) -> str:
    """The API path of a message, encoded twice: API Gateway decodes a path once and the
    function once more, so that an id holding "/" or "%" arrives whole."""
    return "/messages/" + quote(quote(message_id, safe=""), safe="")


def message_link(document: Mapping[str, Any]) -> dict[str, Any]:
    message_id = str(document["message_id"])
    return {
        "message_id": message_id,
        "status": document["status"],
        "is_final": document["is_final"],
        "href": message_href(message_id),
    }


def cause_id(lookup: Lookup | None) -> str | None:
    """The message SES says put the address on its list, if it says."""
    if lookup is None or lookup.state is not State.SUPPRESSED:
        return None
    return lookup.message_id


def cause_document(
    lookup: Lookup, stored: Mapping[str, Any] | None, lookup_error: str | None = None
) -> dict[str, Any]:
    """SES's message and feedback ids, and our stored message when we have it: ``stored``
    is false when we have no message with that id, null when it could not be read."""
    cause: dict[str, Any] = {"message_id": lookup.message_id}
    if lookup.feedback_id:
        cause["feedback_id"] = lookup.feedback_id
    if lookup_error is not None:
        cause.update(stored=None, lookup_error=lookup_error)
    elif stored is None:
        cause["stored"] = False
    else:
        cause.update(stored=True, message=message_link(stored))
    return cause


def suppression_detail(request: RecipientRequest, lookup: Lookup) -> str:
    where = (
        f"tenant {request.tenant}'s suppression list"
        if request.tenant
        else "the account-level suppression list"
    )
    if lookup.state is State.SUPPRESSED:
        since = to_iso(lookup.since_ms) if lookup.since_ms is not None else "an unknown time"
        return (
            f"Amazon SES does not deliver to this address: it is on {where} "
            f"({lookup.reason}) since {since}. SES still reports a Send, then a Bounce."
        )
    if lookup.state is State.NOT_SUPPRESSED:
        return (
            f"Not on {where} of this account and Region. SES's global suppression list "
            "cannot be read by any API."
        )
    return (
        f"Amazon SES could not be asked ({lookup.error_code}): whether this address is on "
        f"{where} is unknown. Try again in a minute."
    )


def suppression_document(
    request: RecipientRequest,
    lookup: Lookup | None,
    checked: Sequence[str] = (),
    cause: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The page's ``suppression``: NOT_APPLICABLE for a phone (``lookup`` is None)."""
    if lookup is None:
        return {"state": State.NOT_APPLICABLE.value, "detail": NOT_APPLICABLE_DETAIL}
    document: dict[str, Any] = {
        "state": lookup.state.value,
        "list": request.list_name,
        "checked_at": to_iso(lookup.checked_ms),
        "checked": list(checked),
    }
    if request.tenant:
        document["tenant"] = request.tenant
    if lookup.state is State.SUPPRESSED:
        document.update(listed_as=lookup.listed_as, reason=lookup.reason)
        if lookup.since_ms is not None:
            document["since"] = to_iso(lookup.since_ms)
        if cause is not None:
            document["cause"] = dict(cause)
    if lookup.state is State.UNKNOWN:
        document["error_code"] = lookup.error_code
    document["detail"] = suppression_detail(request, lookup)
    return document


def recipient_answer(
    request: RecipientRequest, page: Mapping[str, Any], suppression: Mapping[str, Any]
) -> dict[str, Any]:
    """The page: the address, its suppression, the counts, then a page of messages."""
    messages = list(page["messages"])
    return {
        "address": request.address,
        "channel": request.channel.value,
        "suppression": dict(suppression),
        "counts": counts(request.address, messages, page.get("next_cursor") is not None),
        "messages": messages,
        "next_cursor": page.get("next_cursor"),
    }
