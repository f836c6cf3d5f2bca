"""The program's figures for the reports role: counts only, aggregated in the database, never a
case or a person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, literal, select, union_all

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
    referred, enrolled = [literal(0)], [literal(1)]  # tagged: which row is which
    for first, after in bounds:
        since, until = local_instant(first, dt.time()), local_instant(after, dt.time())
        referred.append(
            func.count().filter(and_(Case.referred_at >= since, Case.referred_at < until))
        )
        enrolled.append(
            func.count().filter(
                and_(Case.intake_completed_on >= first, Case.intake_completed_on < after)
            )
        )
    # Each half reads only its months' range of an index (ix_cases_referred_at_id,
    # ix_cases_intake_completed_on), not every case the program ever had.
    window = local_instant(starts[0], dt.time()), local_instant(starts[-1], dt.time())
    found = db.session.execute(
        union_all(
            select(*referred).where(Case.referred_at >= window[0], Case.referred_at < window[1]),
            select(*enrolled).where(
                Case.intake_completed_on >= starts[0], Case.intake_completed_on < starts[-1]
            ),
        )
    ).all()
    counts = {row[0]: row[1:] for row in found}
    months = [MonthCount(first, counts[0][i], counts[1][i]) for i, (first, _) in enumerate(bounds)]
    return Summary(by_status=by_status, months=months, total=sum(by_status.values()))
