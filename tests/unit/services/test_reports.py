"""The reports role's figures: aggregated in the database, month by month in local time."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.clock import local_instant, local_today
from portal.models import CaseStatus
from portal.services.errors import NotPermitted
from portal.services.reports import MONTHS, month_start, program_summary


def test_month_start_steps_across_years():
    assert month_start(dt.date(2026, 1, 31), -1) == dt.date(2025, 12, 1)
    assert month_start(dt.date(2026, 12, 2), 1) == dt.date(2027, 1, 1)
    assert month_start(dt.date(2026, 3, 15)) == dt.date(2026, 3, 1)


def test_referrals_and_intakes_are_counted_in_their_local_month(f):
    today = local_today()
    this_month = month_start(today)
    last_month = month_start(today, -1)
    # The first minute of this month, local time, is this month's even when UTC says otherwise.
    f.CaseFactory(referred_at=local_instant(this_month, dt.time(0, 1)))
    f.CaseFactory(referred_at=local_instant(last_month, dt.time(12)))
    f.CaseFactory(referred_at=local_instant(month_start(today, -MONTHS), dt.time(12)))  # too old
    active = f.CaseFactory(active=True, referred_at=local_instant(last_month, dt.time(9)))
    active.intake_completed_on = this_month
    summary = program_summary(f.evaluator(), today)
    months = {m.month: m for m in summary.months}
    assert len(summary.months) == MONTHS and summary.months[-1].month == this_month
    assert (months[this_month].referrals, months[this_month].enrolled) == (1, 1)
    assert (months[last_month].referrals, months[last_month].enrolled) == (2, 0)
    assert summary.by_status[CaseStatus.ACTIVE] == 1
    assert summary.total == 4


def test_officers_read_no_reports(f):
    with pytest.raises(NotPermitted):
        program_summary(f.officer())
