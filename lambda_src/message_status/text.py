"""Text the table and the archive can hold: valid Unicode.

JSON can carry a lone UTF-16 surrogate (``"\\ud800"``, an escape with no
partner), and Python decodes it into a ``str``, but UTF-8 cannot encode it: the
SDK refuses to send such text to DynamoDB, and an archive line holding it is
not valid UTF-8 for Athena. Every text taken from an event or a request is
checked here before it can reach either.
"""

from __future__ import annotations

from typing import Final

NOT_UNICODE: Final = "is not valid Unicode (it holds a lone UTF-16 surrogate)"


def is_valid_unicode(text: str) -> bool:
    """False when ``text`` holds a code point UTF-8 cannot encode (a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
