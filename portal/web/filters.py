"""Template filters and globals: local time, dates, labels."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_login import current_user

from portal import clock
from portal.services.paging import MAX_COUNT, MIN_SEARCH
from portal.services.phones import tel_uri
from portal.services.timeline import describe
from portal.web.simple_text import simple_text


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return clock.to_local(value).strftime("%b %-d, %Y %-I:%M %p")


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = clock.local_date(value)
    return value.strftime("%b %-d, %Y")


def local_date(value: dt.datetime | None) -> dt.date | None:
    return clock.local_date(value) if value else None


def iso_datetime(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def count_of(value: int, one: str, many: str) -> str:
    """A capped count in words: "1 case", "12 cases", "over 1,000 cases"."""
    if value > MAX_COUNT:
        return f"over {MAX_COUNT:,} {many}"
    return f"{value:,} {one if value == 1 else many}"


def describe_entry(entry):
    """How a timeline entry reads for the signed-in user."""
    return describe(entry, current_user)


def init_app(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(iso_datetime, "isodatetime")
    app.add_template_filter(local_date, "localdate")
    app.add_template_global(clock.local_today, "local_today")
    app.add_template_global(describe_entry, "describe_entry")
    app.add_template_global(count_of, "count_of")
    app.add_template_global(MIN_SEARCH, "MIN_SEARCH")
    app.add_template_filter(simple_text, "simple_text")
    app.add_template_filter(tel_uri, "tel_uri")
