"""What screens show of a case's state comes from the services, not from templates:
the office's next steps (from TRANSITIONS), the intake clock, and when attendance can be marked."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.extensions import db
from portal.models import CaseStatus, ReferralStatus, ServiceReferral
from portal.services import attendance, cases

S = CaseStatus
NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize("status", list(CaseStatus))
def test_next_steps_follow_the_life_of_a_case(f, status):
    steps = cases.next_steps(f.CaseFactory(status=status))
    assert steps.screen == (status == S.REFERRED)
    assert steps.intake == (status == S.ACCEPTED)
    assert steps.exit == (status == S.ACTIVE)


@pytest.mark.parametrize("status", list(CaseStatus))
def test_the_intake_clock_runs_until_intake(f, status):
    case = f.CaseFactory(status=status, intake_deadline=dt.date(2026, 4, 10))
    clock = cases.intake_clock(case, today=dt.date(2026, 4, 13))
    assert clock.days_left == -3
    assert clock.running == (status in (S.REFERRED, S.ACCEPTED))
    assert clock.overdue == clock.running
    assert not clock.due_soon


def test_due_soon_is_within_a_week_of_the_deadline(f):
    case = f.CaseFactory(status=S.REFERRED, intake_deadline=dt.date(2026, 4, 10))
    assert cases.intake_clock(case, today=dt.date(2026, 4, 3)).due_soon
    assert not cases.intake_clock(case, today=dt.date(2026, 4, 2)).due_soon
    assert cases.intake_clock(case, today=dt.date(2026, 4, 10)).due_soon


def test_a_cases_age_counts_local_days(f):
    # Referred at 11 pm local on April 1 (already April 2 in UTC): one day old on April 2.
    referred = dt.datetime(2026, 4, 1, 23, 0, tzinfo=NY).astimezone(dt.UTC)
    case = f.CaseFactory(status=S.REFERRED, referred_at=referred)
    assert cases.intake_clock(case, today=dt.date(2026, 4, 1)).age_days == 0
    assert cases.intake_clock(case, today=dt.date(2026, 4, 2)).age_days == 1


def _service_referral(f, status: ReferralStatus, created_at: dt.datetime) -> ServiceReferral:
    case, service = f.CaseFactory(status=S.ACTIVE), f.ServiceFactory()
    referral = ServiceReferral(
        case_id=case.id,
        service_id=service.id,
        status=status,
        created_by_id=f.admin().id,
        created_at=created_at,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def test_attendance_can_be_marked_from_the_referral_day_to_today_on_the_roster(f):
    now = dt.datetime(2026, 4, 8, 12, 0, tzinfo=NY)
    with time_machine.travel(now, tick=False):
        referred = dt.datetime(2026, 4, 6, 23, 30, tzinfo=NY).astimezone(dt.UTC)
        accepted = _service_referral(f, ReferralStatus.ACCEPTED, referred)
        pending = _service_referral(f, ReferralStatus.PENDING, referred)
        assert attendance.can_mark(accepted, dt.date(2026, 4, 6))
        assert attendance.can_mark(accepted, dt.date(2026, 4, 8))
        assert not attendance.can_mark(accepted, dt.date(2026, 4, 5))  # before the referral
        assert not attendance.can_mark(accepted, dt.date(2026, 4, 9))  # the future
        assert not attendance.can_mark(pending, dt.date(2026, 4, 7))  # not on the roster yet
