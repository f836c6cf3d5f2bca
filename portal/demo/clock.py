"""The demo's clock: cases happened over past weeks and months, so their steps are dated back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, TimelineEntry


def backdate(case: Case, referred_at: dt.datetime, step_days: list[int], deadline_days: int):
    """Demo cases happened over past weeks: move their clock back consistently."""
    case.referred_at = referred_at
    case.intake_deadline = referred_at.date() + dt.timedelta(days=deadline_days)
    if case.screened_at:
        case.screened_at = referred_at + dt.timedelta(days=step_days[0])
    entries = db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.case_id == case.id).order_by(TimelineEntry.id)
    ).all()
    offsets = [0, *step_days]
    for entry, days in zip(entries, offsets, strict=False):
        entry.created_at = referred_at + dt.timedelta(days=days, minutes=5)
