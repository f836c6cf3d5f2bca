"""Template filters and globals: local time, dates, labels."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["PORTAL_TIMEZONE"])


def local_now() -> dt.datetime:
    return dt.datetime.now(local_tz())


def local_today() -> dt.date:
    """Today's date where the program runs (deadlines and attendance are local dates)."""
    return local_now().date()


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(local_tz()) if value else None


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%b %-d, %Y %-I:%M %p")


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime("%b %-d, %Y")


def local_date(value: dt.datetime | None) -> dt.date | None:
    return to_local(value).date() if value else None


def iso_datetime(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(iso_datetime, "isodatetime")
    app.add_template_filter(local_date, "localdate")
    app.add_template_global(local_today, "local_today")

    @app.template_global()
    def describe_entry(entry):
        from flask_login import current_user

        from portal.services.timeline import describe

        return describe(entry, current_user)
