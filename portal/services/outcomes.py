"""The evaluation's records: arrests and citations of a person (entered by the office, or reported
by the officer who referred them), each active participant's monthly status, and the person's
demographics. Each change is one transaction with its timeline entry (the office's alone: these
kinds reach no officer and no provider)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.clock import local_date, local_today
from portal.database import lock_row
from portal.extensions import db
from portal.models import (
    MAX_JAIL_DAYS,
    Agency,
    Case,
    CaseStatus,
    Employment,
    Ethnicity,
    EventSource,
    Gender,
    Housing,
    Income,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    OffenceLevel,
    Person,
    Race,
    TimelineKind,
    User,
)
from portal.policy import can_manage_case, is_officer, require
from portal.services.errors import ValidationFailed
from portal.services.timeline import add_entry

OFFICE_ONLY = "Only the program office records this."


@dataclass(frozen=True)
class JusticeEventData:
    occurred_on: dt.date
    kind: JusticeEventKind
    offence_level: OffenceLevel
    booked: bool
    jail_days: int
    agency_id: int | None


def describe_event(event: JusticeEvent | JusticeEventData, agency: Agency | None = None) -> str:
    """One line a case manager reads: "Arrest, misdemeanor, booked, 2 jail days"."""
    parts = [event.kind.label, event.offence_level.label.lower()]
    if event.booked:
        parts.append("booked")
        days = event.jail_days
        parts.append(f"{days} jail day{'s' if days != 1 else ''}")
    if agency is not None:
        parts.append(agency.short_name or agency.name)
    return ", ".join(parts)


def recording_case(person: Person) -> Case | None:
    """The case an event of the person is recorded on: their open referral, else the latest."""
    return db.session.scalar(
        select(Case)
        .where(Case.person_id == person.id)
        .order_by(
            Case.status.in_([CaseStatus.REFERRED, CaseStatus.ACCEPTED, CaseStatus.ACTIVE]).desc(),
            Case.referred_at.desc(),
            Case.id.desc(),
        )
        .limit(1)
    )


def _check_event(person: Person, data: JusticeEventData) -> None:
    if data.occurred_on > local_today():
        raise ValidationFailed("The date cannot be in the future.", field="occurred_on")
    if data.occurred_on < person.dob:
        raise ValidationFailed(
            "The date is before the person's date of birth: check it.", field="occurred_on"
        )
    if not 0 <= data.jail_days <= MAX_JAIL_DAYS:
        raise ValidationFailed(
            f"Enter the days in jail, from 0 to {MAX_JAIL_DAYS:,}.", field="jail_days"
        )
    if data.kind == JusticeEventKind.CITATION and data.booked:
        raise ValidationFailed(
            "A citation is not a booking: choose Arrest if the person was booked.", field="booked"
        )
    if data.jail_days and not data.booked:
        raise ValidationFailed(
            "Days in jail follow a booking: tick Booked into jail, or enter 0.", field="jail_days"
        )
    if data.agency_id is not None and db.session.get(Agency, data.agency_id) is None:
        raise ValidationFailed("Choose an agency from the list.", field="agency_id")


def _record_event(
    actor: User, person: Person, case: Case, data: JusticeEventData, source: EventSource
) -> JusticeEvent:
    _check_event(person, data)
    # The same event sent twice (a double tap, a resent form) is recorded once, even when both
    # arrive at once: the second waits for the first, then finds it.
    lock_row(db.session, Person, person.id)
    same = db.session.scalar(
        select(JusticeEvent)
        .where(
            JusticeEvent.person_id == person.id,
            JusticeEvent.occurred_on == data.occurred_on,
            JusticeEvent.kind == data.kind,
            JusticeEvent.offence_level == data.offence_level,
            JusticeEvent.booked.is_(data.booked),
            JusticeEvent.jail_days == data.jail_days,
            JusticeEvent.agency_id.is_(None)
            if data.agency_id is None
            else JusticeEvent.agency_id == data.agency_id,
            JusticeEvent.recorded_by_id == actor.id,
        )
        .limit(1)
    )
    if same is not None:
        return same
    event = JusticeEvent(
        person_id=person.id,
        case_id=case.id,
        occurred_on=data.occurred_on,
        kind=data.kind,
        offence_level=data.offence_level,
        booked=data.booked,
        jail_days=data.jail_days,
        agency_id=data.agency_id,
        source=source,
        recorded_by_id=actor.id,
    )
    db.session.add(event)
    db.session.flush()
    agency = db.session.get(Agency, data.agency_id) if data.agency_id else None
    add_entry(
        case,
        TimelineKind.JUSTICE_EVENT_RECORDED,
        actor,
        payload={
            "summary": f"{describe_event(event, agency)} ({data.occurred_on.isoformat()})",
            "source": source.value,
        },
    )
    return event


def record_justice_event(actor: User, person: Person, data: JusticeEventData) -> JusticeEvent:
    """A case manager records an arrest or citation of the person, before or after enrollment."""
    require(can_manage_case(actor), OFFICE_ONLY)
    case = recording_case(person)
    if case is None:
        raise ValidationFailed("This record has no referral to record the event on.")
    return _record_event(actor, person, case, data, EventSource.OFFICE)


def report_arrest(officer: User, case: Case, data: JusticeEventData) -> JusticeEvent:
    """The officer who referred the person reports a new arrest or citation of them (after the
    referral), made by their own agency. They see nothing of the person's record in return."""
    require(
        is_officer(officer) and case.officer_id == officer.id and officer.agency_id is not None,
        "Only the officer who made this referral can report a new arrest of the person.",
    )
    if data.occurred_on < local_date(case.referred_at):
        raise ValidationFailed(
            "A new arrest is one on or after the day you made this referral.",
            field="occurred_on",
        )
    data = JusticeEventData(
        data.occurred_on,
        data.kind,
        data.offence_level,
        data.booked,
        0,  # the officer does not know the stay: the office records it
        officer.agency_id,
    )
    person = db.session.get(Person, case.person_id)
    return _record_event(officer, person, case, data, EventSource.OFFICER)


def justice_events(person_ids: list[int], limit: int) -> list[JusticeEvent]:
    """The person's arrests and citations, newest first (at most `limit`)."""
    return list(
        db.session.scalars(
            select(JusticeEvent)
            .where(JusticeEvent.person_id.in_(person_ids))
            .order_by(JusticeEvent.occurred_on.desc(), JusticeEvent.id.desc())
            .limit(limit)
        )
    )


# --- monthly status ------------------------------------------------------------------------------


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def status_due(case: Case, today: dt.date | None = None) -> dt.date | None:
    """The month whose status is still to record for an active participant (this month), or
    None: not active, or recorded."""
    if case.status != CaseStatus.ACTIVE or case.intake_completed_on is None:
        return None
    month = first_of_month(today or local_today())
    recorded = db.session.scalar(
        select(MonthlyStatus.id).where(
            MonthlyStatus.case_id == case.id, MonthlyStatus.month == month
        )
    )
    return None if recorded else month


def latest_status(case: Case) -> MonthlyStatus | None:
    """The last month recorded: the suggestion for the next."""
    return db.session.scalar(
        select(MonthlyStatus)
        .where(MonthlyStatus.case_id == case.id)
        .order_by(MonthlyStatus.month.desc())
        .limit(1)
    )


def status_history(case: Case, limit: int) -> list[MonthlyStatus]:
    return list(
        db.session.scalars(
            select(MonthlyStatus)
            .where(MonthlyStatus.case_id == case.id)
            .order_by(MonthlyStatus.month.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class StatusData:
    month: dt.date
    housing: Housing
    employment: Employment
    income: Income
    benefits: bool


def record_monthly_status(actor: User, case: Case, data: StatusData) -> MonthlyStatus:
    """Record (or correct) one month's status of a participant enrolled in that month."""
    require(can_manage_case(actor), OFFICE_ONLY)
    if case.intake_completed_on is None:
        raise ValidationFailed(
            "Monthly status is recorded for enrolled participants, after intake."
        )
    month = first_of_month(data.month)
    if month > first_of_month(local_today()):
        raise ValidationFailed("The month cannot be in the future.", field="month")
    if month < first_of_month(case.intake_completed_on):
        raise ValidationFailed(
            "The month is before the participant's intake: choose a month since then.",
            field="month",
        )
    lock_row(db.session, Case, case.id)  # two records of one month at once: one row
    row = db.session.scalar(
        select(MonthlyStatus).where(MonthlyStatus.case_id == case.id, MonthlyStatus.month == month)
    )
    values = {
        "housing": data.housing,
        "employment": data.employment,
        "income": data.income,
        "benefits": data.benefits,
    }
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        return row  # the same month sent again: nothing changes
    corrected = row is not None
    if row is None:
        row = MonthlyStatus(case_id=case.id, month=month, recorded_by_id=actor.id, **values)
        db.session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.recorded_by_id = actor.id
    db.session.flush()
    summary = (
        f"{month:%B %Y}: {data.housing.label}; {data.employment.label}; {data.income.label}; "
        f"{'receives benefits' if data.benefits else 'no benefits'}"
    )
    add_entry(
        case,
        TimelineKind.MONTHLY_STATUS_RECORDED,
        actor,
        payload={"summary": summary, **({"note": "Corrected"} if corrected else {})},
    )
    return row


# --- demographics --------------------------------------------------------------------------------


def update_demographics(
    actor: User,
    person: Person,
    race: Race | None,
    ethnicity: Ethnicity | None,
    gender: Gender | None,
) -> Person:
    """The person's answers (each optional; "declined to answer" is an answer). Audited as a
    change of the person's record."""
    require(can_manage_case(actor), OFFICE_ONLY)
    person.race, person.ethnicity, person.gender = race, ethnicity, gender
    return person


def age_on(dob: dt.date, day: dt.date) -> int:
    """Whole years of age on a day."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
