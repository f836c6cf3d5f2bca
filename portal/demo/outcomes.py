"""The demo's evaluation records: each person's demographics (some declined), arrests and
citations in the year before their referral and a few after enrollment, and every month's status
of the active participants since intake, improving for some, through the services users call."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.clock import local_date, local_instant, local_today
from portal.demo.engagement import _dated
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    Employment,
    Ethnicity,
    Gender,
    Housing,
    Income,
    JusticeEventKind,
    OffenceLevel,
    Race,
    User,
)
from portal.services import outcomes

HOUSING_STEPS = [Housing.UNSHELTERED, Housing.SHELTER, Housing.TRANSITIONAL, Housing.PERMANENT]
INCOME_STEPS = [Income.NONE, Income.UNDER_500, Income.FROM_500, Income.FROM_1000]
RACES = [Race.WHITE, Race.WHITE, Race.WHITE, Race.BLACK, Race.MULTIRACIAL, Race.DECLINED]


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    month, months = start.replace(day=1), []
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def seed_outcomes(admin: User, rng_seed: int = 11) -> None:
    rng = random.Random(rng_seed)
    today = local_today()
    cases = db.session.scalars(
        select(Case).options(joinedload(Case.person)).order_by(Case.referred_at, Case.id)
    ).all()
    seen: set[int] = set()
    for case in cases:
        person = case.person
        if person.id not in seen:
            seen.add(person.id)
            outcomes.update_demographics(
                admin,
                person,
                rng.choice(RACES),
                rng.choice([Ethnicity.NOT_HISPANIC] * 4 + [Ethnicity.HISPANIC, Ethnicity.DECLINED]),
                rng.choice([Gender.MAN, Gender.MAN, Gender.WOMAN, Gender.WOMAN, Gender.ANOTHER]),
            )
        referred = local_date(case.referred_at)
        # The year before the referral: the arrest behind it, and perhaps an earlier one.
        for days in [0, *rng.sample(range(40, 360), rng.randint(0, 2))]:
            day = referred - dt.timedelta(days=days)
            booked = rng.random() < 0.6
            _record(
                admin,
                case,
                outcomes.JusticeEventData(
                    day,
                    JusticeEventKind.ARREST if booked else JusticeEventKind.CITATION,
                    rng.choice([OffenceLevel.MISDEMEANOR] * 3 + [OffenceLevel.FELONY]),
                    booked,
                    rng.randint(1, 12) if booked else 0,
                    case.agency_id,
                ),
            )
        if case.intake_completed_on is None:
            continue
        if case.status in (CaseStatus.ACTIVE, CaseStatus.COMPLETED, CaseStatus.WITHDRAWN):
            _monthly(admin, case, rng, case.closed_on or today)
        # One in four enrolled is arrested or cited again, a while after enrollment.
        later = case.intake_completed_on + dt.timedelta(days=rng.randint(20, 200))
        if rng.random() < 0.25 and later < today:
            booked = rng.random() < 0.6
            _record(
                admin,
                case,
                outcomes.JusticeEventData(
                    later,
                    JusticeEventKind.ARREST if booked else JusticeEventKind.CITATION,
                    OffenceLevel.MISDEMEANOR,
                    booked,
                    rng.randint(1, 5) if booked else 0,
                    case.agency_id,
                ),
            )


def _record(admin: User, case: Case, data: outcomes.JusticeEventData) -> None:
    when = local_instant(data.occurred_on, dt.time(16, 0))
    _dated(case, when, lambda: outcomes.record_justice_event(admin, case.person, data))


def _monthly(admin: User, case: Case, rng: random.Random, until: dt.date) -> None:
    """Every month from intake until the month before `until` (this month is left due for an
    active participant, for the prompt): housing and income climb a step now and then."""
    today = local_today()
    housing, income = rng.randint(0, 1), rng.randint(0, 1)
    employment = Employment.UNEMPLOYED
    for month in _months(case.intake_completed_on, until)[:-1]:
        if rng.random() < 0.35:
            housing = min(housing + 1, len(HOUSING_STEPS) - 1)
        if rng.random() < 0.3:
            income = min(income + 1, len(INCOME_STEPS) - 1)
            employment = Employment.PART_TIME
        data = outcomes.StatusData(
            month, HOUSING_STEPS[housing], employment, INCOME_STEPS[income], income > 0
        )
        last_day = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        when = local_instant(min(last_day, today), dt.time(11, 0))
        _dated(case, when, lambda d=data: outcomes.record_monthly_status(admin, case, d))
