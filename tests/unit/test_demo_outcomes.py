"""The demo's evaluation records: demographics of every person, arrests and citations before
referral (and some after enrollment), and every month's status of the active participants since
intake with this month left due; none of it reaches an officer."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.clock import local_today
from portal.demo.program import seed
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    JusticeEvent,
    MonthlyStatus,
    Notification,
    Person,
    TimelineEntry,
    TimelineKind,
)
from portal.services.outcomes import first_of_month, status_due


def test_the_demo_has_a_year_of_evaluation_records():
    seed()
    db.session.flush()
    people = db.session.scalars(select(Person)).all()
    assert all(p.race and p.ethnicity and p.gender for p in people)
    events = db.session.scalars(select(JusticeEvent)).all()
    by_person = {e.person_id for e in events}
    assert by_person == {p.id for p in people}  # each was arrested or cited before referral
    enrolled = db.session.scalars(select(Case).where(Case.intake_completed_on.is_not(None))).all()
    after = [
        e
        for e in events
        for c in enrolled
        if c.person_id == e.person_id and e.occurred_on > c.intake_completed_on
    ]
    assert after, "some participants were arrested or cited again after enrollment"
    this_month = first_of_month(local_today())
    for case in enrolled:
        if case.status != CaseStatus.ACTIVE:
            continue
        months = db.session.scalars(
            select(MonthlyStatus.month).where(MonthlyStatus.case_id == case.id)
        ).all()
        start = first_of_month(case.intake_completed_on)
        assert this_month not in months and status_due(case) == this_month
        assert all(start <= m < this_month for m in months)
        assert len(months) == len(set(months))
        if start < this_month:
            assert min(months) == start
    kinds = [TimelineKind.JUSTICE_EVENT_RECORDED, TimelineKind.MONTHLY_STATUS_RECORDED]
    entries = select(TimelineEntry.id).where(TimelineEntry.kind.in_(kinds))
    assert db.session.scalar(select(func.count()).select_from(entries.subquery())) > 0
    told = select(func.count(Notification.id)).where(Notification.entry_id.in_(entries))
    assert db.session.scalar(told) == 0
