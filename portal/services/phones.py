"""Phone numbers people type: checked for what a phone number is made of, and turned into a
`tel:` link a phone can dial."""

from __future__ import annotations

import re

MAX_LENGTH = 40
MIN_DIGITS, MAX_DIGITS = 7, 15  # a local number at least; E.164 at most
PHONE_MESSAGE = (
    "Enter a phone number of 7 to 15 digits, such as (304) 555-0142 or +1 304-555-0142 ext. 12"
    " (digits, spaces, +, -, brackets and an extension only)."
)
# The number itself (digits, spaces, dots, dashes, brackets, a leading +), then an optional
# extension ("ext. 12", "ext 12", "x12").
_PHONE = re.compile(
    r"^(?P<number>\+?[\d\s().-]+?)\s*(?:(?:ext\.?|x)\s*(?P<ext>\d{1,6}))?$", re.IGNORECASE
)


def _parts(value: str) -> tuple[str, str] | None:
    match = _PHONE.match(value)
    if match is None:
        return None
    digits = re.sub(r"\D", "", match["number"])
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    plus = "+" if match["number"].startswith("+") else ""
    return plus + digits, match["ext"] or ""


def phone_problem(value: str) -> str | None:
    """Why this is not a phone number (None: it is one, or it is empty)."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    return None if _parts(value) else PHONE_MESSAGE


def tel_uri(value: str | None) -> str | None:
    """The number as a `tel:` link (RFC 3966), or None when it cannot be dialled."""
    parts = _parts((value or "").strip())
    if parts is None:
        return None
    number, ext = parts
    return f"tel:{number}" + (f";ext={ext}" if ext else "")
