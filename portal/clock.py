"""The one clock: the current instant in UTC, and dates where the program runs.

Everything below the web layer takes its time from here, so a test can freeze it (time-machine)
and deadlines, attendance and "not before the referral" all agree on what day it is.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC (what is stored)."""
    return dt.datetime.now(dt.UTC)


def program_tz() -> ZoneInfo:
    """The time zone the program runs in (deadlines and sessions are its local dates)."""
    return ZoneInfo(current_app.config["PORTAL_TIMEZONE"])


def local_now() -> dt.datetime:
    """The current time in the program's time zone."""
    return utcnow().astimezone(program_tz())


def local_today() -> dt.date:
    """Today's date where the program runs."""
    return local_now().date()


def to_local(value: dt.datetime) -> dt.datetime:
    """An instant in the program's time zone."""
    return value.astimezone(program_tz())


def local_date(value: dt.datetime) -> dt.date:
    """The program's local date of an instant."""
    return to_local(value).date()


def local_instant(day: dt.date, time: dt.time) -> dt.datetime:
    """The instant of a local date and wall-clock time."""
    return dt.datetime.combine(day, time, tzinfo=program_tz())
