"""The program's figures for the reports role: counts only, aggregated in the database, never a
case or a person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from portal.clock import local_instant, local_today
from portal.extensions import db
from portal.models import Case, CaseStatus, User
from portal.policy import can_view_reports, require

MONTHS = 12


@dataclass(frozen=True)
class MonthCount:
    month: dt.date  # the first day of the month, in the program's time zone
    referrals: int
    enrolled: int


@dataclass(frozen=True)
class Summary:
    by_status: dict[CaseStatus, int]
    months: list[MonthCount]
    total: int


def month_start(day: dt.date, months_later: int = 0) -> dt.date:
    """The first day of the month `months_later` months after (before, if negative) `day`'s."""
    index = day.year * 12 + day.month - 1 + months_later
    return dt.date(index // 12, index % 12 + 1, 1)


def program_summary(actor: User, today: dt.date | None = None) -> Summary:
    """Cases by status, and referrals and intakes in each of the last twelve months: two
    queries whatever the number of cases."""
    require(can_view_reports(actor), "Only the program office and evaluators read reports.")
    today = today or local_today()
    by_status = dict.fromkeys(CaseStatus, 0)
    by_status.update(
        db.session.execute(select(Case.status, func.count()).group_by(Case.status)).all()
    )
    starts = [month_start(today, k) for k in range(1 - MONTHS, 2)]
    bounds = list(zip(starts, starts[1:], strict=False))
    columns = []
    for first, after in bounds:
        since, until = local_instant(first, dt.time()), local_instant(after, dt.time())
        columns.append(
            func.count().filter(and_(Case.referred_at >= since, Case.referred_at < until))
        )
        columns.append(
            func.count().filter(
                and_(Case.intake_completed_on >= first, Case.intake_completed_on < after)
            )
        )
    counts = db.session.execute(select(*columns).select_from(Case)).one()
    months = [
        MonthCount(first, counts[2 * i], counts[2 * i + 1]) for i, (first, _) in enumerate(bounds)
    ]
    return Summary(by_status=by_status, months=months, total=sum(by_status.values()))
