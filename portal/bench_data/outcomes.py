"""Benchmark data for the evaluation (issue 14): each person's demographics (some never asked,
some declined), their arrests and citations in the year before the referral and, for about a
quarter of the participants, after enrollment, and each participant's monthly status (housing,
employment, income, benefits) from the month of intake, at most twelve months.

Each function takes the generator's `cases.Context` (not imported here: cases.py calls these).
Drawn from a random stream of their own (`Context.outcomes_rng`), so the rest of the program is
the same rows as a generator without them would write. Events carry their timeline entry, as
the services write it; of the monthly statuses only the last few do (the earlier as if
imported), as attendance.
"""

from __future__ import annotations

import datetime as dt
import random

from portal.models import (
    Employment,
    Ethnicity,
    EventSource,
    Gender,
    Housing,
    Income,
    JusticeEventKind,
    OffenceLevel,
    Race,
    TimelineKind,
)
from portal.services.outcomes import JusticeEventData, describe_event

MAX_MONTHS = 12  # monthly statuses of a participant: the first year of their time in the program
LOGGED_MONTHS = 3  # the latest carry their timeline entry
AFTER_SHARE = 0.25  # participants arrested or cited again after enrollment
RACES = [
    (Race.WHITE, 78),
    (Race.BLACK, 9),
    (Race.MULTIRACIAL, 3),
    (Race.AMERICAN_INDIAN, 1),
    (Race.ASIAN, 1),
    (Race.PACIFIC_ISLANDER, 0.2),
    (Race.OTHER, 1),
    (Race.DECLINED, 3),
]
ETHNICITIES = [(Ethnicity.NOT_HISPANIC, 92), (Ethnicity.HISPANIC, 4), (Ethnicity.DECLINED, 4)]
GENDERS = [(Gender.MAN, 62), (Gender.WOMAN, 35), (Gender.ANOTHER, 1), (Gender.DECLINED, 2)]
NOT_ASKED = 0.12  # a person whose demographics were never asked (all three unknown)
HOUSING = list(Housing)  # worst to best
EMPLOYMENT = [
    Employment.UNEMPLOYED,
    Employment.NOT_IN_LABOUR_FORCE,
    Employment.PART_TIME,
    Employment.FULL_TIME,
]
INCOME = list(Income)


def _pick(rng: random.Random, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def demographics(ctx) -> dict:
    """A new person's race, ethnicity and gender (None: not asked)."""
    rng = ctx.outcomes_rng
    if rng.random() < NOT_ASKED:
        return {"race": None, "ethnicity": None, "gender": None}
    return {
        "race": _pick(rng, RACES),
        "ethnicity": _pick(rng, ETHNICITIES) if rng.random() > 0.03 else None,
        "gender": _pick(rng, GENDERS),
    }


def _event(ctx, case_id, person_id, day, recorder, when, agency_id, source) -> None:
    """One arrest or citation, recorded by the office (with its jail stay) or reported by the
    referring officer of their own agency (no stay)."""
    rng, w = ctx.outcomes_rng, ctx.writer
    kind = JusticeEventKind.ARREST if rng.random() < 0.75 else JusticeEventKind.CITATION
    if kind == JusticeEventKind.ARREST:
        level = rng.choices(list(OffenceLevel)[:2], [1, 3])[0]
    else:
        level = rng.choices([OffenceLevel.MISDEMEANOR, OffenceLevel.VIOLATION], [1, 2])[0]
    booked = kind == JusticeEventKind.ARREST and rng.random() < 0.6
    jail_days = 0
    if booked and source == EventSource.OFFICE:
        jail_days = rng.choice([0, 1, 1, 2, 3, 5, 10, 30, 60])
    data = JusticeEventData(day, kind, level, booked, jail_days, agency_id)
    w.add(
        "justice_events",
        {
            "id": w.new_id("justice_events"),
            "person_id": person_id,
            "case_id": case_id,
            "occurred_on": day,
            "kind": kind,
            "offence_level": level,
            "booked": booked,
            "jail_days": jail_days,
            "agency_id": agency_id,
            "source": source,
            "recorded_by_id": recorder,
            "recorded_at": when,
        },
    )
    agency = ctx.agency_names[agency_id]
    summary = f"{describe_event(data)}, {agency} ({day.isoformat()})"
    ctx.entry(
        case_id,
        TimelineKind.JUSTICE_EVENT_RECORDED,
        recorder,
        when,
        {"summary": summary, "source": source.value},
    )


def _agency(ctx, agency_id) -> int:
    """Mostly the referring agency, now and then a neighbour's."""
    if ctx.outcomes_rng.random() < 0.7:
        return agency_id
    return ctx.outcomes_rng.choice(ctx.directory.agencies)[0]


def prior_events(ctx, case_id, person_id, agency_id, referred_on: dt.date, cm, screened_at) -> None:
    """One to three arrests or citations in the year before the referral, recorded by the
    office from the records when the referral was screened."""
    rng = ctx.outcomes_rng
    for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
        day = referred_on - dt.timedelta(days=rng.randint(1, 364))
        agency = _agency(ctx, agency_id)
        _event(ctx, case_id, person_id, day, cm, screened_at, agency, EventSource.OFFICE)


def later_events(ctx, case_id, person_id, officer_id, agency_id, cm, intake_on: dt.date) -> None:
    """For about a quarter of the participants: one or two arrests or citations after enrollment
    (up to a year and a half later, never in the future), reported by the referring officer or
    recorded by the office within days."""
    rng = ctx.outcomes_rng
    if rng.random() >= AFTER_SHARE:
        return
    latest = min((ctx.today - intake_on).days - 1, 540)
    if latest < 1:
        return
    for _ in range(rng.choice([1, 1, 1, 2])):
        day = intake_on + dt.timedelta(days=rng.randint(1, latest))
        when = ctx.at(min(ctx.today, day + dt.timedelta(days=rng.randint(0, 6))), 10)
        if rng.random() < 0.4:
            _event(ctx, case_id, person_id, day, officer_id, when, agency_id, EventSource.OFFICER)
        else:
            agency = _agency(ctx, agency_id)
            _event(ctx, case_id, person_id, day, cm, when, agency, EventSource.OFFICE)


def _step(rng: random.Random, scale: list, current, better: float, worse: float):
    index = scale.index(current)
    r = rng.random()
    if r < better and index < len(scale) - 1:
        return scale[index + 1]
    if r > 1 - worse and index > 0:
        return scale[index - 1]
    return current


def monthly_statuses(ctx, case_id, cm, intake_on: dt.date, end_on: dt.date) -> None:
    """One status a month from the month of intake to the exit (or this month), the first
    twelve at most; a month now and then not recorded. Housing, work and income drift, mostly
    for the better."""
    rng, w = ctx.outcomes_rng, ctx.writer
    months = []
    month = intake_on.replace(day=1)
    while month <= end_on and len(months) < MAX_MONTHS:
        if not months or rng.random() < 0.9:
            months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    housing = rng.choices(HOUSING, [30, 20, 15, 35])[0]
    employment = rng.choices(EMPLOYMENT, [45, 20, 20, 15])[0]
    benefits = rng.random() < 0.35
    for n, month in enumerate(months):
        if n:
            housing = _step(rng, HOUSING, housing, 0.08, 0.03)
            employment = _step(rng, EMPLOYMENT, employment, 0.06, 0.03)
            benefits = benefits or rng.random() < 0.05
        income = INCOME[min(len(INCOME) - 1, EMPLOYMENT.index(employment) + rng.randint(0, 1))]
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        recorded_on = min(ctx.today, next_month - dt.timedelta(days=rng.randint(1, 5)))
        recorded_on = max(recorded_on, intake_on)
        when = ctx.at(recorded_on, 15, rng.randint(0, 59))
        w.add(
            "monthly_statuses",
            {
                "id": w.new_id("monthly_statuses"),
                "case_id": case_id,
                "month": month,
                "housing": housing,
                "employment": employment,
                "income": income,
                "benefits": benefits,
                "recorded_by_id": cm,
                "recorded_at": when,
            },
        )
        if n >= len(months) - LOGGED_MONTHS:
            summary = (
                f"{month:%B %Y}: {housing.label}; {employment.label}; {income.label}; "
                f"{'receives benefits' if benefits else 'no benefits'}"
            )
            ctx.entry(case_id, TimelineKind.MONTHLY_STATUS_RECORDED, cm, when, {"summary": summary})
