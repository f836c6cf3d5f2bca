"""The demo's clock: cases happened over past weeks and months, so their steps are dated back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, TimelineEntry, TimelineKind

# Which step of a case each of its entries records: its index in `backdate`'s days (the
# referral itself is day 0). Screening writes two entries (the decision, and the case manager
# who took the case), so entries are dated by their kind, not their order.
STEP = {
    TimelineKind.REFERRAL_ACCEPTED: 0,
    TimelineKind.REFERRAL_DECLINED: 0,
    TimelineKind.CASE_MANAGER_CHANGED: 0,
    TimelineKind.INTAKE_COMPLETED: 1,
    TimelineKind.CASE_COMPLETED: 2,
    TimelineKind.CASE_WITHDRAWN: 2,
    TimelineKind.CASE_NON_COMPLIANT: 2,
}


def backdate(case: Case, referred_at: dt.datetime, step_days: list[int], deadline_days: int):
    """Demo cases happened over past weeks: move their clock back consistently."""
    case.referred_at = referred_at
    case.intake_deadline = referred_at.date() + dt.timedelta(days=deadline_days)
    if case.screened_at:
        case.screened_at = referred_at + dt.timedelta(days=step_days[0])
    entries = db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.case_id == case.id).order_by(TimelineEntry.id)
    ).all()
    for n, entry in enumerate(entries):
        if entry.kind == TimelineKind.REFERRAL_RECEIVED:
            days = 0
        elif STEP.get(entry.kind, len(step_days)) < len(step_days):
            days = step_days[STEP[entry.kind]]
        else:
            continue  # a later step of its own (engagement, consents): dated where it happens
        entry.created_at = referred_at + dt.timedelta(days=days, minutes=5 + n)
