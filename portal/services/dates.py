"""Date rules shared by every service: no event in the future, none before its referral.

Both compare the program's local dates (an intake at 9 pm local on the referral's day is on
that day, whatever the UTC date says).
"""

from __future__ import annotations

import datetime as dt

from portal.clock import local_date, local_today
from portal.services.errors import ValidationFailed


def require_not_future(day: dt.date, field: str, message: str) -> None:
    """Refuse a date after today's local date."""
    if day > local_today():
        raise ValidationFailed(message, field=field)


def require_not_before(day: dt.date, referred_at: dt.datetime, field: str, message: str) -> None:
    """Refuse a date before the local date of the referral it follows.

    `message` may name the referral's date as `{referred_on}`.
    """
    referred_on = local_date(referred_at)
    if day < referred_on:
        raise ValidationFailed(message.format(referred_on=f"{referred_on:%b %-d, %Y}"), field=field)
