"""Following a bounded list's pages the way a person does: by its links."""

from __future__ import annotations

import html
import re

NEXT = re.compile(r'<a class="usa-pagination__link usa-pagination__next-page" href="([^"]+)"')
FIRST = re.compile(r'<a class="usa-pagination__link" href="([^"]+)">First page</a>')


def next_link(page: str, n: int = 0) -> str | None:
    """The address of the page's `n`-th "Next page" link, or None."""
    found = NEXT.findall(page)
    return html.unescape(found[n]) if len(found) > n else None


def first_link(page: str) -> str | None:
    found = FIRST.findall(page)
    return html.unescape(found[0]) if found else None


BAD_CURSORS = [
    "garbled",
    "-1",
    "%00%ff",
    "W10",  # an empty list
    "WyJ4Il0",  # ["x"]: the wrong kind of key
    "WzEsMiwzLDQsNV0",  # too many values
    "x" * 5000,
    "WyI5OTk5LTEyLTMxVDIzOjU5OjU5KzAwOjAwIiwgLTFd",  # far past the end
    "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",  # huge id
]
