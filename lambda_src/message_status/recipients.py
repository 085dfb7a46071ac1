"""Recipients, normalized once: what is stored, indexed and searched.

* An email address is trimmed and lower-cased (``" Alice@Example.COM "`` ->
  ``"alice@example.com"``). Mailboxes are case-insensitive in practice, and a
  search must find what was stored whatever spelling either side used.
* A phone number is E.164: a ``+`` and 8 to 15 digits, with spaces, dashes,
  dots and parentheses removed (``"+1 (425) 555-0156"`` -> ``"+14255550156"``).

Anything else is not a recipient: stored events keep only what normalizes,
and a search for it is a 400.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from .text import is_valid_unicode

# RFC 5321: a forward path is at most 256 octets, so an address at most 254.
MAX_EMAIL_LENGTH: Final = 254
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# One @, something on each side, no spaces or control characters, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotARecipient(ValueError):
    """The value is neither an email address nor an E.164 phone number."""


def normalize_email(value: str) -> str:
    address = value.strip().lower()
    if (
        len(address) > MAX_EMAIL_LENGTH
        or not _EMAIL.match(address)
        or _has_controls(address)
        or not is_valid_unicode(address)
    ):
        raise NotARecipient("not an email address")
    return address


def normalize_phone(value: str) -> str:
    number = _PHONE_SEPARATORS.sub("", value.strip())
    if not _E164.match(number):
        raise NotARecipient("not an E.164 phone number (+ and 8 to 15 digits)")
    return number


def normalize_recipient(value: str) -> str:
    """An email address or a phone number, normalized; NotARecipient otherwise."""
    if "@" in value:
        return normalize_email(value)
    return normalize_phone(value)


def normalized_or_none(value: object) -> str | None:
    """For stored events: a recipient that does not normalize is left out."""
    if not isinstance(value, str):
        return None
    try:
        return normalize_recipient(value)
    except NotARecipient:
        return None


def _has_controls(text: str) -> bool:
    return any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in text)
