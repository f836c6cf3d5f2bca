"""Bounded lists: a keyset page of an ordered query, and a count that stops counting.

A page holds at most `size` rows whatever the table's size, and the next one starts after the
last row's sort key (the cursor), so a deep page costs what the first one does (no OFFSET).
A cursor is text from the address: one that cannot be read, or that points past the end, answers
the first page, never an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db

MAX_COUNT = 1000  # counts stop here: "over 1,000" costs the same as 1,001
MIN_SEARCH = 2  # a shorter search would match nearly everything: it is ignored
MAX_CURSOR = 600  # characters of a cursor read at most
MAX_TEXT = 255  # characters of a text key
INT_RANGE = range(-(2**63), 2**63)


@dataclass(frozen=True)
class Key:
    """One sort key of a keyset order: a column or expression that is never NULL."""

    column: ColumnElement
    kind: type  # int, str, dt.date or dt.datetime: what a cursor's value must read as
    descending: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None  # where the next page starts, None on the last page
    first: bool  # the first page (no cursor was followed)


def search_term(text: str | None, limit: int = 120) -> tuple[str, bool]:
    """The search as typed (trimmed), and whether it is long enough to search with."""
    term = (text or "").strip()[:limit]
    return term, len(term) >= MIN_SEARCH


def _encode(values: tuple) -> str:
    plain = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_for(values: tuple) -> str:
    """The cursor of a page that starts after a row with these sort-key values."""
    return _encode(values)


def _read(value: Any, kind: type) -> Any:
    """One value of a cursor as its key's type, or ValueError."""
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in INT_RANGE:
            raise ValueError(value)
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(value)
    if kind is str:
        return value
    if kind is dt.datetime:
        at = dt.datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError(value)
        return at.astimezone(dt.UTC)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    raise TypeError(kind)


def decode_cursor(text: str | None, keys: list[Key]) -> tuple | None:
    """The sort key a cursor holds, or None when there is none or it cannot be read."""
    if not text or len(text) > MAX_CURSOR:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            return None
        return tuple(_read(v, k.kind) for v, k in zip(values, keys, strict=True))
    except (binascii.Error, ValueError, UnicodeDecodeError, OverflowError):
        return None


def _after(keys: list[Key], values: tuple) -> ColumnElement[bool]:
    """Rows after `values` in the keys' order; the first key's bound lets an index seek to it."""
    ors = []
    for i, key in enumerate(keys):
        ties = [keys[j].column == values[j] for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        ors.append(and_(*ties, beyond))
    first = keys[0]
    bound = first.column <= values[0] if first.descending else first.column >= values[0]
    return and_(bound, or_(*ors))


def keyset_page(query: Select, keys: list[Key], cursor: str | None, size: int) -> Page:
    """At most `size` rows of `query` (one entity or column) in the keys' order, from the cursor.

    The keys end with a unique column (the id), so every row has its place; the query must not
    be ordered already. The cursor's values are read back from the database with the rows, so a
    key computed by SQL (a lowered name) continues exactly where the page ended.
    """
    size = max(1, size)
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]
    base = query.add_columns(*(k.column for k in keys)).order_by(*order).limit(size + 1)
    values = decode_cursor(cursor, keys)
    found = []
    if values is not None:
        found = db.session.execute(base.where(_after(keys, values))).all()
        if not found:  # past the end (or a forged cursor): the first page instead
            values = None
    if values is None:
        found = db.session.execute(base).all()
    more = len(found) > size
    found = found[:size]
    following = _encode(tuple(found[-1][1:])) if more else None
    return Page([row[0] for row in found], following, values is None)


def _counted(query: Select, column: ColumnElement, cap: int):
    bounded = query.with_only_columns(column, maintain_column_froms=True).order_by(None)
    return select(func.count()).select_from(bounded.limit(cap + 1).subquery())


def capped_count(query: Select, column: ColumnElement, cap: int = MAX_COUNT) -> int:
    """How many rows `query` has, counting at most `cap` + 1 (shown as "over {cap}")."""
    return db.session.scalar(_counted(query, column, cap))


def capped_counts(*queries: tuple[Select, ColumnElement], cap: int = MAX_COUNT) -> tuple[int, ...]:
    """Several capped counts in one statement (a page's sections, one round trip)."""
    counts = [_counted(q, column, cap).scalar_subquery() for q, column in queries]
    return tuple(db.session.execute(select(*counts)).one())


@dataclass(frozen=True)
class Numbered:
    """One numbered page of a list already in memory (ranked in Python, not by SQL)."""

    rows: list[Any]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def numbered_page(rows: list[Any], requested: str | None, size: int) -> Numbered:
    """Page `requested` of `rows`: a garbled or negative number answers the first page, one past
    the end the last."""
    size = max(1, size)
    pages = max(1, -(-len(rows) // size))
    try:
        number = int((requested or "1")[:12])
    except ValueError:
        number = 1
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return Numbered(rows[start : start + size], number, pages, len(rows))
