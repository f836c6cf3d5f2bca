"""One date rule in local time: no event in the future, none before its referral.

The program runs in America/New_York; at 00:30 local the UTC date is the same, at 23:30 local
it is already tomorrow. Every check compares local dates, so both edges of midnight agree.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from portal.clock import local_date, local_today
from portal.models import CaseStatus, ContactKind, NeedDomain, NeedLevel
from portal.services import assessments, cases
from portal.services.errors import ValidationFailed

NY = dt.timezone(dt.timedelta(hours=-5))  # Eastern standard time, in December
DAY = dt.date(2026, 12, 7)
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 12, 7, 0, 0, 30, tzinfo=NY)
JUST_BEFORE_MIDNIGHT = dt.datetime(2026, 12, 7, 23, 59, 30, tzinfo=NY)
ALL_NONE = dict.fromkeys(NeedDomain, (NeedLevel.NONE, ""))


def _record(kind: str, case, admin, day: dt.date):
    if kind == "intake":
        return cases.complete_intake(case, admin, day)
    if kind == "assessment":
        return assessments.record_assessment(case, admin, day, "", False, ALL_NONE)
    return assessments.record_contact(case, admin, day, ContactKind.IN_PERSON)


def _case(f, kind: str, referred_at: dt.datetime):
    status = CaseStatus.ACCEPTED if kind == "intake" else CaseStatus.ACTIVE
    return f.CaseFactory(status=status, referred_at=referred_at.astimezone(dt.UTC))


@pytest.mark.parametrize("kind", ["intake", "assessment", "contact"])
def test_referred_just_after_midnight_local_the_day_before_is_refused(f, kind):
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        assert local_today() == DAY
        case, admin = _case(f, kind, JUST_AFTER_MIDNIGHT), f.admin()
        with pytest.raises(ValidationFailed, match="before the referral") as error:
            _record(kind, case, admin, DAY - dt.timedelta(days=1))
        assert error.value.field.endswith("_on")
        _record(kind, case, admin, DAY)


@pytest.mark.parametrize("kind", ["intake", "assessment", "contact"])
def test_referred_just_before_midnight_local_that_day_counts_and_tomorrow_is_future(f, kind):
    with time_machine.travel(JUST_BEFORE_MIDNIGHT, tick=False):
        # UTC has already moved on to the next day; the program's day has not.
        assert JUST_BEFORE_MIDNIGHT.astimezone(dt.UTC).date() == DAY + dt.timedelta(days=1)
        assert local_today() == DAY
        case, admin = _case(f, kind, JUST_BEFORE_MIDNIGHT), f.admin()
        with pytest.raises(ValidationFailed, match="future"):
            _record(kind, case, admin, DAY + dt.timedelta(days=1))
        with pytest.raises(ValidationFailed, match="before the referral"):
            _record(kind, case, admin, DAY - dt.timedelta(days=1))
        _record(kind, case, admin, DAY)


def test_local_date_of_an_instant_is_the_programs_date():
    assert local_date(JUST_BEFORE_MIDNIGHT.astimezone(dt.UTC)) == DAY
    assert local_date(JUST_AFTER_MIDNIGHT.astimezone(dt.UTC)) == DAY
