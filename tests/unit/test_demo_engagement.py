"""The demo gives the provider screens people: assessed participants with services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.clock import local_date
from portal.demo.program import seed
from portal.extensions import db
from portal.models import (
    Assessment,
    Case,
    CaseStatus,
    Contact,
    ReferralStatus,
    Service,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
)


def test_demo_active_participants_are_assessed_and_referred():
    seed()
    db.session.flush()
    active = db.session.scalars(select(Case.id).where(Case.status == CaseStatus.ACTIVE)).all()
    assessed = set(db.session.scalars(select(Assessment.case_id)).all())
    assert assessed == set(active)
    assert db.session.scalar(select(Assessment).where(Assessment.detox_needed.is_(True)))
    assert set(db.session.scalars(select(Contact.case_id)).all()) == set(active)
    rows = db.session.scalars(
        select(ServiceReferral).options(
            joinedload(ServiceReferral.service).joinedload(Service.organization)
        )
    ).all()
    by_case: dict[int, set[str]] = {}
    for r in rows:
        by_case.setdefault(r.case_id, set()).add(r.service.name)
    assert any("Detoxification" in names for names in by_case.values())
    # The harm reduction clinic is drop-in: nobody is referred to it, visits are recorded.
    assert not any("Harm Reduction Clinic" in names for names in by_case.values())
    statuses = {r.status for r in rows}
    assert {ReferralStatus.PENDING, ReferralStatus.ACCEPTED} <= statuses
    accepted_orgs = {
        r.service.organization.name for r in rows if r.status == ReferralStatus.ACCEPTED
    }
    assert {"FMRS", "Fayette Recovery Community"} <= accepted_orgs
    # Capacity reflects the places held: the detox bed was given back at discharge, the
    # crisis bed is held.
    detox = next(r.service for r in rows if r.service.name == "Detoxification")
    assert detox.capacity_available == detox.capacity_max
    crisis = next(r.service for r in rows if r.service.name == "Crisis Stabilization")
    assert crisis.capacity_available == crisis.capacity_max - 1


def test_each_demo_step_is_dated_when_it_happened():
    """Screening writes two entries (the decision and the case manager): intake is still dated
    on its own day, before the engagement that followed it."""
    seed()
    db.session.flush()
    for case in db.session.scalars(select(Case).where(Case.status == CaseStatus.ACTIVE)):
        entries = {
            e.kind: e
            for e in db.session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.case_id == case.id)
                .order_by(TimelineEntry.created_at.desc())
            )
        }
        intake = entries[TimelineKind.INTAKE_COMPLETED]
        assert local_date(intake.created_at) == case.intake_completed_on
        assert entries[TimelineKind.REFERRAL_ACCEPTED].created_at < intake.created_at
        if TimelineKind.ENGAGED in entries:
            assert intake.created_at < entries[TimelineKind.ENGAGED].created_at
