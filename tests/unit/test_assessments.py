"""Needs assessments (all domains, history, latest) and case-manager contacts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Assessment,
    CaseStatus,
    Contact,
    ContactKind,
    NeedDomain,
    NeedLevel,
    TimelineEntry,
    TimelineKind,
)
from portal.services import assessments
from portal.services.errors import InvalidTransition, NotPermitted, ValidationFailed


def needs(**levels) -> dict:
    """All eight domains at none, with the given ones (by domain value) raised."""
    return {
        d: (
            NeedLevel(levels.get(d.value, "none")),
            f"note on {d.value}" if d.value in levels else "",
        )
        for d in NeedDomain
    }


def assess(case, actor, on=None, detox=False, **levels):
    return assessments.record_assessment(
        case, actor, on or local_today(), "heroin", detox, needs(**levels)
    )


def test_assessment_records_every_domain_and_an_admin_only_entry(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE)
    a = assess(case, admin, detox=True, housing="high", substance_use="high", legal="moderate")
    assert {n.domain for n in a.needs} == set(NeedDomain)
    entry = db.session.scalar(select(TimelineEntry).where(TimelineEntry.case_id == case.id))
    assert entry.kind == TimelineKind.ASSESSMENT_RECORDED
    assert entry.organization_id is None
    assert entry.payload["summary"] == "High: substance use, housing; Moderate: legal; detox needed"


def test_all_eight_domains_are_required(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE)
    partial = needs(housing="high")
    del partial[NeedDomain.FAMILY]
    with pytest.raises(ValidationFailed, match="Family"):
        assessments.record_assessment(case, admin, local_today(), "", False, partial)
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0


def test_assessment_at_intake_or_while_active_only(f):
    admin = f.admin()
    assess(f.CaseFactory(status=CaseStatus.ACCEPTED), admin)  # at intake
    for status in (CaseStatus.REFERRED, CaseStatus.DECLINED, CaseStatus.COMPLETED):
        with pytest.raises(InvalidTransition):
            assess(f.CaseFactory(status=status), admin)
    with pytest.raises(NotPermitted):
        assess(f.CaseFactory(status=CaseStatus.ACTIVE), f.officer())


def test_future_assessment_date_refused(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE)
    with pytest.raises(ValidationFailed) as error:
        assess(case, admin, on=local_today() + dt.timedelta(days=1))
    assert error.value.field == "assessed_on"


def test_reassessments_are_history_and_the_latest_wins(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE)
    case.referred_at -= dt.timedelta(days=30)
    first = assess(case, admin, on=local_today() - dt.timedelta(days=20), housing="high")
    second = assess(case, admin, on=local_today(), housing="low", employment="high")
    # Recorded later but about an earlier day: history, not the latest.
    assess(case, admin, on=local_today() - dt.timedelta(days=10), housing="moderate")
    history = assessments.assessment_history(case)
    assert [a.id for a in history][0] == second.id
    assert history[-1].id == first.id
    latest = assessments.latest_assessment(case)
    assert latest.id == second.id
    assert assessments.needs_by_domain(latest)[NeedDomain.EMPLOYMENT].level == NeedLevel.HIGH


def test_contact_recorded_with_entry(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE)
    contact = assessments.record_contact(
        case, admin, local_today(), ContactKind.PHONE, "  Called about housing  "
    )
    assert contact.note == "Called about housing"
    entry = db.session.scalar(select(TimelineEntry).where(TimelineEntry.case_id == case.id))
    assert entry.kind == TimelineKind.CONTACT_RECORDED
    assert entry.organization_id is None
    assert entry.payload["contact_kind"] == "Phone"
    assert assessments.contact_list(case) == [(contact, admin.name)]


def test_contact_in_the_future_or_on_a_closed_case_refused(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE)
    with pytest.raises(ValidationFailed) as error:
        assessments.record_contact(
            case, admin, local_today() + dt.timedelta(days=1), ContactKind.IN_PERSON
        )
    assert error.value.field == "contacted_on"
    with pytest.raises(ValidationFailed):
        assessments.record_contact(
            case, admin, case.referred_at.date() - dt.timedelta(days=5), ContactKind.PHONE
        )
    with pytest.raises(InvalidTransition):
        assessments.record_contact(
            f.CaseFactory(status=CaseStatus.WITHDRAWN), admin, local_today(), ContactKind.PHONE
        )
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
