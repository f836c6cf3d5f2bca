"""Visits to a drop-in service (harm reduction, a benefits clinic), recorded by its staff.

A named visit is a participant who walked in and gave their name and date of birth: the staff
type what the person told them, and a visit is recorded only for an active participant with
exactly that name and date of birth (no list of participants is shown, so nothing is learned
that the person did not say). The anonymous count is the day's other visitors, one number a
day. Visits go on the timeline that the program office and the provider see, never an
officer's; a visit alone makes a participant "engaged in services" only if the program
setting says so.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.database import savepoint
from portal.extensions import db
from portal.models import (
    MAX_DAILY_VISITORS,
    Case,
    CaseStatus,
    DropInCount,
    DropInVisit,
    Organization,
    Person,
    Service,
    TimelineEntry,
    TimelineKind,
    User,
)
from portal.policy import can_record_attendance, require
from portal.services.dates import require_not_future
from portal.services.errors import ValidationFailed
from portal.services.paging import Key, Page, keyset_page
from portal.services.settings import get_settings
from portal.services.timeline import add_entry

NOT_YOURS = "This service is not one of your organisation's."
FUTURE = "Visits cannot be recorded for a date in the future."
NOT_FOUND = (
    "No active participant has this name and date of birth. Check the spelling and the date "
    "with the person; record them in the anonymous count otherwise."
)
AMBIGUOUS = (
    "More than one active participant has this name and date of birth: record the visit in "
    "the anonymous count and tell the program office."
)
COUNT_RANGE = f"Enter a number of visitors from 0 to {MAX_DAILY_VISITORS}."


def _check(service: Service, actor: User, visit_date: dt.date) -> None:
    require(can_record_attendance(actor, service), NOT_YOURS)
    if not service.is_drop_in:
        raise ValidationFailed(
            f"{service.name} is not a drop-in service: record its attendance on its sessions."
        )
    require_not_future(visit_date, "visit_date", FUTURE)


def identify_participant(first_name: str, last_name: str, dob: dt.date | None) -> Case:
    """The one active participant with exactly this name (any case) and date of birth."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not first:
        raise ValidationFailed("Enter the first name the person gave.", field="first_name")
    if not last:
        raise ValidationFailed("Enter the last name the person gave.", field="last_name")
    if dob is None:
        raise ValidationFailed("Enter the person's date of birth.", field="dob")
    found = db.session.scalars(
        select(Case)
        .join(Person, Person.id == Case.person_id)
        .where(
            Case.status == CaseStatus.ACTIVE,
            func.lower(Person.first_name) == first.lower(),
            func.lower(Person.last_name) == last.lower(),
            Person.dob == dob,
        )
        .options(joinedload(Case.person))
        .limit(2)
    ).all()
    if not found:
        raise ValidationFailed(NOT_FOUND, field="first_name")
    if len(found) > 1:
        raise ValidationFailed(AMBIGUOUS, field="first_name")
    return found[0]


def _find(service: Service, case: Case, visit_date: dt.date) -> DropInVisit | None:
    return db.session.scalar(
        select(DropInVisit).where(
            DropInVisit.service_id == service.id,
            DropInVisit.case_id == case.id,
            DropInVisit.visit_date == visit_date,
        )
    )


def _engage(case: Case, actor: User) -> None:
    """With the program's setting on, a first visit tells the officer 'engaged' (status only)."""
    if not get_settings().drop_in_visits_engage:
        return
    engaged = db.session.scalar(
        select(
            exists().where(
                TimelineEntry.case_id == case.id, TimelineEntry.kind == TimelineKind.ENGAGED
            )
        )
    )
    if not engaged:
        add_entry(case, TimelineKind.ENGAGED, actor)


def record_named_visit(
    service: Service,
    visit_date: dt.date,
    actor: User,
    *,
    first_name: str,
    last_name: str,
    dob: dt.date | None,
) -> tuple[DropInVisit, bool]:
    """Record a named visit once a day (the same visit twice records it once); returns the
    visit and whether it is new."""
    _check(service, actor, visit_date)
    case = identify_participant(first_name, last_name, dob)
    existing = _find(service, case, visit_date)
    if existing is not None:
        return existing, False
    visit = DropInVisit(
        service_id=service.id,
        case_id=case.id,
        visit_date=visit_date,
        recorded_by_id=actor.id,
        recorded_at=utcnow(),
    )
    try:
        with savepoint(db.session):
            db.session.add(visit)
    except IntegrityError:  # the same visit, recorded by another request meanwhile
        existing = _find(service, case, visit_date)
        assert existing is not None
        return existing, False
    organization = db.session.get(Organization, service.organization_id)
    add_entry(
        case,
        TimelineKind.DROP_IN_VISIT,
        actor,
        payload={
            "service_name": service.name,
            "organization_name": organization.name if organization else "",
            "visit_date": visit_date.isoformat(),
        },
        organization_id=service.organization_id,
    )
    _engage(case, actor)
    db.session.flush()
    return visit, True


def record_visitor_count(
    service: Service, visit_date: dt.date, visitors: int | None, actor: User
) -> DropInCount:
    """Set the day's anonymous visitors (0 to the cap); a second entry replaces the first."""
    _check(service, actor, visit_date)
    if visitors is None or not 0 <= visitors <= MAX_DAILY_VISITORS:
        raise ValidationFailed(COUNT_RANGE, field="visitors")
    count = day_count(service.id, visit_date)
    if count is None:
        count = DropInCount(service_id=service.id, visit_date=visit_date, visitors=visitors)
        db.session.add(count)
    count.visitors, count.recorded_by_id, count.recorded_at = visitors, actor.id, utcnow()
    db.session.flush()
    return count


def day_count(service_id: int, visit_date: dt.date) -> DropInCount | None:
    """The day's anonymous count, if one was recorded."""
    return db.session.scalar(
        select(DropInCount).where(
            DropInCount.service_id == service_id, DropInCount.visit_date == visit_date
        )
    )


VISIT_KEYS = [Key(DropInVisit.id, int, descending=True)]


def named_visits(service_id: int, visit_date: dt.date, after: str | None, size: int) -> Page:
    """A page of the day's named visits (latest first), with each participant's name."""
    query = (
        select(DropInVisit)
        .where(DropInVisit.service_id == service_id, DropInVisit.visit_date == visit_date)
        .options(joinedload(DropInVisit.case).joinedload(Case.person))
    )
    return keyset_page(query, VISIT_KEYS, after, size)
