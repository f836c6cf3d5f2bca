"""The demo's harm reduction clinic logs its last Wednesday: named visits and an anonymous
count, none of them visible to an officer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import local_today
from portal.demo.program import seed
from portal.extensions import db
from portal.models import (
    Case,
    DropInCount,
    DropInVisit,
    Notification,
    Service,
    ServiceKind,
    TimelineEntry,
    TimelineKind,
)
from portal.services.timeline import get_timeline


def test_the_clinic_logs_a_wednesday_no_officer_sees():
    seed()
    db.session.flush()
    named = db.session.scalars(select(DropInVisit)).all()
    counts = db.session.scalars(select(DropInCount)).all()
    assert len(named) == 2 and len(counts) == 1 and counts[0].visitors > 0
    day = counts[0].visit_date
    assert day.weekday() == 2 and day < local_today()  # the clinic's Wednesday
    assert {v.visit_date for v in named} == {day}
    assert {v.service_id for v in named} == {counts[0].service_id}
    entries = db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.DROP_IN_VISIT)
    ).all()
    assert len(entries) == 2
    told = db.session.scalars(
        select(Notification).where(Notification.entry_id.in_([e.id for e in entries]))
    ).all()
    assert told == []
    for visit in named:
        case = db.session.scalar(
            select(Case)
            .where(Case.id == visit.case_id)
            .options(selectinload(Case.consents), selectinload(Case.officer))
        )
        kinds = {e.kind for e in get_timeline(case, case.officer).entries}
        assert TimelineKind.DROP_IN_VISIT not in kinds
    service = db.session.get(Service, counts[0].service_id)
    assert service.kind == ServiceKind.DROP_IN and service.name == "Harm Reduction Clinic"
