"""The evaluators' de-identified file: one row a referral, with no name, date of birth, phone,
address or free text. Ages are in bands, dates reduced to months, and each person is known by a
pseudonymous id: a keyed hash (HMAC-SHA256) of their record's id, whose key is the setting
EVALUATION_ID_KEY, so the id is stable across exports and means nothing without the key.

Read in batches of cases (keyset on the id: the batch's ids, then its rows in that id range),
each batch one query whose counts are correlated subqueries, so memory stays flat however many
cases there are."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import Integer, func, select
from sqlalchemy.orm import aliased

from portal.clock import local_date, local_today
from portal.extensions import db
from portal.models import (
    Agency,
    AttendanceStatus,
    AuditAction,
    Case,
    CaseStatus,
    Contact,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    Person,
    User,
)
from portal.models.engagement import Attendance, ServiceReferral
from portal.policy import can_export_evaluation, require
from portal.services import audit
from portal.services.dashboard import Filters
from portal.services.outcomes import age_on
from portal.services.sql_dates import add_days, days_after

BATCH = 1000
COLUMNS = [
    "person_id",
    "referral_month",
    "referral_type",
    "agency",
    "age_band",
    "race",
    "ethnicity",
    "gender",
    "status",
    "accepted",
    "intake_month",
    "days_to_intake",
    "intake_by_deadline",
    "exit_reason",
    "exit_month",
    "arrests_12m_before",
    "arrests_6m_after",
    "arrests_12m_after",
    "bookings_12m_before",
    "bookings_12m_after",
    "jail_days_12m_before",
    "jail_days_12m_after",
    "housing_first",
    "housing_latest",
    "income_first",
    "income_latest",
    "sessions_attended",
    "case_manager_contacts",
]
AGE_BANDS = [(18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"), (65, "65+")]


def age_band(age: int) -> str:
    band = "under 18"
    for floor, label in AGE_BANDS:
        if age >= floor:
            band = label
    return band


def evaluation_key() -> bytes:
    """The pseudonym key: the setting, or (outside production, when unset) one derived from
    SECRET_KEY, so a development install still exports stable ids."""
    key = current_app.config.get("EVALUATION_ID_KEY")
    if key:
        return key.encode()
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"lead-portal evaluation ids", hashlib.sha256).digest()


def pseudonym(person_id: int, key: bytes) -> str:
    return hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()[:20]


def _count(model_column, *conditions):
    return select(func.count(model_column)).where(*conditions).scalar_subquery()


def _events(before: int, after: int, *extra):
    return (
        JusticeEvent.person_id == Case.person_id,
        JusticeEvent.occurred_on >= add_days(Case.intake_completed_on, before),
        JusticeEvent.occurred_on < add_days(Case.intake_completed_on, after),
        *extra,
    )


def _sum(column, *conditions):
    return select(func.coalesce(func.sum(column), 0)).where(*conditions).scalar_subquery()


def _status_value(column, pick):
    """The case's first (min) or latest (max) month's value."""
    other = aliased(MonthlyStatus)
    # Correlated to the outer case explicitly: left to itself, the innermost select would take
    # `cases` into its own FROM and answer one month for the whole table.
    month = (
        select(pick(other.month)).where(other.case_id == Case.id).correlate(Case).scalar_subquery()
    )
    return (
        select(column)
        .where(MonthlyStatus.case_id == Case.id, MonthlyStatus.month == month)
        .correlate(Case)
        .scalar_subquery()
    )


def _query(filters: Filters):
    arrest = JusticeEvent.kind == JusticeEventKind.ARREST
    booked = func.cast(JusticeEvent.booked, Integer)
    attended = (
        select(func.count(Attendance.id))
        .join(ServiceReferral, ServiceReferral.id == Attendance.service_referral_id)
        .where(ServiceReferral.case_id == Case.id, Attendance.status == AttendanceStatus.ATTENDED)
        .scalar_subquery()
    )
    query = (
        select(
            Case.id,
            Case.person_id,
            Case.referred_at,
            Case.referral_type,
            Agency.name,
            Person.dob,
            Person.race,
            Person.ethnicity,
            Person.gender,
            Case.status,
            Case.intake_completed_on,
            days_after(Case.intake_completed_on, Case.referred_at),
            Case.intake_completed_on <= Case.intake_deadline,
            Case.exit_reason,
            Case.closed_on,
            _count(JusticeEvent.id, *_events(-365, 0, arrest)),
            _count(JusticeEvent.id, *_events(1, 183, arrest)),
            _count(JusticeEvent.id, *_events(1, 366, arrest)),
            _sum(booked, *_events(-365, 0)),
            _sum(booked, *_events(1, 366)),
            _sum(JusticeEvent.jail_days, *_events(-365, 0)),
            _sum(JusticeEvent.jail_days, *_events(1, 366)),
            _status_value(MonthlyStatus.housing, func.min),
            _status_value(MonthlyStatus.housing, func.max),
            _status_value(MonthlyStatus.income, func.min),
            _status_value(MonthlyStatus.income, func.max),
            attended,
            _count(Contact.id, Contact.case_id == Case.id),
        )
        .select_from(Case)
        .join(Person, Person.id == Case.person_id)
        .outerjoin(Agency, Agency.id == Case.agency_id)
    )
    return _in_filters(query, filters)


def _in_filters(query, filters: Filters):
    query = query.where(Case.referred_at >= filters.since, Case.referred_at < filters.until)
    if filters.agency_id is not None:
        query = query.where(Case.agency_id == filters.agency_id)
    return query


def _cases_in(filters: Filters):
    """The ids of the cases the file holds."""
    return _in_filters(select(Case.id), filters)


def _month(day: dt.date | None) -> str:
    return f"{day:%Y-%m}" if day else ""


def _value(enum_value) -> str:
    return getattr(enum_value, "value", enum_value) or ""


def _row(values, key: bytes, today: dt.date) -> list:
    (
        _case_id, person_id, referred_at, referral_type, agency, dob, race, ethnicity, gender,
        status, intake_on, days_to_intake, by_deadline, exit_reason, closed_on,
        before, after6, after12, booked_before, booked_after, jail_before, jail_after,
        housing_first, housing_latest, income_first, income_latest, sessions, contacts,
    ) = values  # fmt: skip
    referred = local_date(referred_at)
    enrolled = intake_on is not None
    elapsed = (today - intake_on).days if enrolled else -1
    return [
        pseudonym(person_id, key),
        _month(referred),
        _value(referral_type),
        agency or "Program office",
        age_band(age_on(dob, referred)),
        _value(race),
        _value(ethnicity),
        _value(gender),
        _value(status),
        "yes"
        if _value(status) not in (CaseStatus.REFERRED.value, CaseStatus.DECLINED.value)
        else "no",
        _month(intake_on),
        days_to_intake if enrolled else "",
        ("yes" if by_deadline else "no") if enrolled else "",
        _value(exit_reason),
        _month(closed_on),
        before if enrolled else "",
        after6 if elapsed >= 182 else "",
        after12 if elapsed >= 365 else "",
        booked_before if enrolled else "",
        booked_after if elapsed >= 365 else "",
        jail_before if enrolled else "",
        jail_after if elapsed >= 365 else "",
        _value(housing_first),
        _value(housing_latest),
        _value(income_first),
        _value(income_latest),
        sessions,
        contacts,
    ]


def export_rows(actor: User, filters: Filters) -> Iterator[list]:
    """The file's rows after its header, in batches of cases. The export is audited at once:
    the caller commits before the first batch is read."""
    require(can_export_evaluation(actor), "Only administrators and evaluators export this file.")
    audit.record(AuditAction.EXPORT, object_type="evaluation")
    key = evaluation_key()
    today = local_today()
    query = _query(filters)

    def rows() -> Iterator[list]:
        yield COLUMNS
        after = 0
        while True:
            # The batch's ids first (an index read), then its rows by that id range: the
            # subqueries run for the batch's cases alone, not for every case in the dates
            # sorted to keep the first thousand.
            ids = db.session.scalars(
                _cases_in(filters).where(Case.id > after).order_by(Case.id).limit(BATCH)
            ).all()
            if not ids:
                return
            batch = db.session.execute(
                query.where(Case.id >= ids[0], Case.id <= ids[-1]).order_by(Case.id)
            ).all()
            for values in batch:
                yield _row(values, key, today)
            after = ids[-1]

    return rows()
