"""The test factories build rows the way the program leaves them (status, dates, timeline)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    AttendanceStatus,
    CaseStatus,
    ExitReason,
    NeedDomain,
    NeedLevel,
    ReferralStatus,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
    User,
)
from portal.services import assessments, attendance, cases, referrals

K = TimelineKind


def _kinds(case_id):
    return list(
        db.session.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.case_id == case_id)
            .order_by(TimelineEntry.created_at, TimelineEntry.id)
        )
    )


@pytest.mark.parametrize(
    ("trait", "status", "kinds"),
    [
        ("accepted", CaseStatus.ACCEPTED, [K.REFERRAL_RECEIVED, K.REFERRAL_ACCEPTED]),
        ("declined", CaseStatus.DECLINED, [K.REFERRAL_RECEIVED, K.REFERRAL_DECLINED]),
        (
            "active",
            CaseStatus.ACTIVE,
            [K.REFERRAL_RECEIVED, K.REFERRAL_ACCEPTED, K.INTAKE_COMPLETED],
        ),
        (
            "completed",
            CaseStatus.COMPLETED,
            [K.REFERRAL_RECEIVED, K.REFERRAL_ACCEPTED, K.INTAKE_COMPLETED, K.CASE_COMPLETED],
        ),
        (
            "withdrawn",
            CaseStatus.WITHDRAWN,
            [K.REFERRAL_RECEIVED, K.REFERRAL_ACCEPTED, K.INTAKE_COMPLETED, K.CASE_WITHDRAWN],
        ),
        (
            "non_compliant",
            CaseStatus.NON_COMPLIANT,
            [K.REFERRAL_RECEIVED, K.REFERRAL_ACCEPTED, K.INTAKE_COMPLETED, K.CASE_NON_COMPLIANT],
        ),
    ],
)
def test_a_case_trait_builds_the_history_of_its_status(f, trait, status, kinds):
    case = f.CaseFactory(**{trait: True})
    assert case.status == status
    assert _kinds(case.id) == kinds
    assert case.screened_by_id is not None and case.screened_at > case.referred_at
    if status == CaseStatus.DECLINED:
        assert case.decline_reason
    if K.INTAKE_COMPLETED in kinds:
        assert case.referred_at.date() <= case.intake_completed_on < local_today()
    if status in (CaseStatus.COMPLETED, CaseStatus.WITHDRAWN):
        assert case.closed_on == local_today() and case.exit_reason


def test_a_plain_case_is_a_fresh_referral_with_no_history(f):
    case = f.CaseFactory()
    assert case.status == CaseStatus.REFERRED and case.screened_at is None
    assert _kinds(case.id) == []


def test_the_services_accept_what_the_factories_build(f):
    """An accepted case takes its intake, an active one an assessment and a service, a closed
    one nothing more: the factories' cases are in the state the services expect."""
    admin = f.admin()
    accepted = f.CaseFactory(accepted=True)
    cases.complete_intake(accepted, admin, local_today())
    active = f.CaseFactory(active=True)
    assessments.record_assessment(
        active, admin, local_today(), "", False, dict.fromkeys(NeedDomain, (NeedLevel.NONE, ""))
    )
    service = f.ServiceFactory()
    referrals.assign_service(active, service, admin)
    cases.close_case(active, admin, CaseStatus.COMPLETED, local_today(), ExitReason.COMPLETED)


def test_an_open_service_referral_holds_a_place_and_an_accepted_one_is_on_the_roster(f):
    service = f.ServiceFactory(capacity_max=3, capacity_available=3)
    pending = f.ServiceReferralFactory(service=service)
    accepted = f.ServiceReferralFactory(service=service, accepted=True)
    f.ServiceReferralFactory(service=service, declined=True)
    f.ServiceReferralFactory(service=service, ended=True)
    assert service.capacity_available == 1
    assert referrals.held_places(service.id) == 2
    assert pending.status == ReferralStatus.PENDING and pending.decided_by_id is None
    assert _kinds(accepted.case_id)[-3:] == [K.SERVICE_REFERRED, K.SERVICE_ACCEPTED, K.ENGAGED]
    staff = db.session.get(User, accepted.decided_by_id)
    assert staff.organization_id == service.organization_id
    # The staff member who accepted can record attendance for a past session.
    attendance.record_attendance(
        accepted, accepted.created_at.date(), AttendanceStatus.ATTENDED, staff
    )


def test_attendance_and_assessment_write_their_entries(f):
    row = f.AttendanceFactory(status=AttendanceStatus.MISSED)
    referral = db.session.get(ServiceReferral, row.service_referral_id)
    assert row.recorded_by_id == referral.decided_by_id
    entry = db.session.scalar(
        select(TimelineEntry).where(TimelineEntry.kind == K.ATTENDANCE_RECORDED)
    )
    assert (entry.case_id, entry.actor_id) == (referral.case_id, referral.decided_by_id)
    assert entry.payload["status"] == "missed"
    assert entry.payload["session_date"] == local_today().isoformat()
    assessment = f.AssessmentFactory(needs={NeedDomain.HOUSING: NeedLevel.HIGH}, detox_needed=True)
    assert {n.domain for n in assessment.needs} == set(NeedDomain)
    [summary] = db.session.scalars(
        select(TimelineEntry.payload).where(
            TimelineEntry.case_id == assessment.case_id, TimelineEntry.kind == K.ASSESSMENT_RECORDED
        )
    )
    assert summary["summary"] == "High: housing; detox needed"
