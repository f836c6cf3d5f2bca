"""Review: a case exit must not leave service referrals open (places held, provider acting)."""

from __future__ import annotations

import contextlib

from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    ExitReason,
    ReferralStatus,
    Service,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
)
from portal.services import attendance, cases, referrals
from portal.services.errors import DomainError
from tests.conftest import post


def _world(f, **case):
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=2, capacity_available=2)
    staff = f.provider(organization=service.organization)
    return admin, service, staff, f.CaseFactory(active=True, **case)


def test_withdrawing_a_participant_gives_back_the_places_they_held(f):
    admin, service, staff, case = _world(f)
    pending = referrals.assign_service(case, service, admin)
    other = f.ServiceFactory(capacity_max=1, capacity_available=1)
    accepted = referrals.assign_service(case, other, admin)
    referrals.accept_service_referral(accepted, f.provider(organization=other.organization))
    assert service.capacity_available == 1 and other.capacity_available == 0

    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    db.session.expire_all()

    # Neither referral may stay open once the person has left the program...
    statuses = set(
        db.session.scalars(select(ServiceReferral.status).where(ServiceReferral.case_id == case.id))
    )
    assert not statuses & {ReferralStatus.PENDING, ReferralStatus.ACCEPTED}, statuses
    # ...and the places they held are free again.
    assert db.session.get(Service, service.id).capacity_available == 2
    assert db.session.get(Service, other.id).capacity_available == 1
    assert pending.id and accepted.id


def test_provider_cannot_accept_a_referral_of_an_exited_participant(f):
    admin, service, staff, case = _world(f)
    referral = referrals.assign_service(case, service, admin)
    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    db.session.expire_all()
    referral = db.session.get(ServiceReferral, referral.id)
    with contextlib.suppress(DomainError):
        referrals.accept_service_referral(referral, staff)
    db.session.expire_all()
    # The officer must not read "Engaged in services" after "Withdrawn from the program".
    kinds = list(
        db.session.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.case_id == case.id)
            .order_by(TimelineEntry.id)
        )
    )
    assert TimelineKind.ENGAGED not in kinds[kinds.index(TimelineKind.CASE_WITHDRAWN) :], kinds


def test_no_attendance_for_an_exited_participant(f):
    admin, service, staff, case = _world(f)
    referral = referrals.assign_service(case, service, admin)
    referrals.accept_service_referral(referral, staff)
    cases.close_case(case, admin, CaseStatus.COMPLETED, local_today(), ExitReason.COMPLETED)
    try:
        attendance.record_attendance(
            referral, local_today(), attendance.AttendanceStatus.ATTENDED, staff
        )
    except DomainError:
        return
    raise AssertionError("attendance was recorded for a participant who left the program")


def test_exited_participant_leaves_the_provider_roster(f, login_as):
    gone = f.PersonFactory(last_name="Quillfeather")
    admin, service, staff, case = _world(f, person=gone)
    referral = f.ServiceReferralFactory(case=case, service=service, accepted=True, decided_by=staff)
    staying = f.ServiceReferralFactory(
        case=f.CaseFactory(active=True, person=f.PersonFactory(last_name="Brightwater")),
        service=service,
        accepted=True,
        decided_by=staff,
    )
    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    db.session.commit()
    assert db.session.get(ServiceReferral, referral.id).status == ReferralStatus.ENDED

    client = login_as(staff)
    response = client.get("/provider/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Brightwater" in html  # the roster is there, with the participant who stayed
    assert "Quillfeather" not in html
    assert db.session.get(ServiceReferral, staying.id).status == ReferralStatus.ACCEPTED


def test_exit_through_the_admin_page_releases_places(f, login_as):
    admin, service, staff, case = _world(f)
    pending = f.ServiceReferralFactory(case=case, service=service, created_by=admin)
    accepted = f.ServiceReferralFactory(case=case, accepted=True, decided_by=None)
    assert service.capacity_available == 1
    db.session.commit()
    client = login_as(admin)
    url = f"/admin/cases/{case.id}"
    response = post(
        client,
        f"{url}/exit",
        {
            "exit-closed_on": local_today().isoformat(),
            "exit-reason": "moved_away",
            "exit-version": str(case.version),
        },
        page=url,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(url)
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert (stored.status, stored.closed_on, stored.exit_reason) == (
        CaseStatus.WITHDRAWN,
        local_today(),
        ExitReason.MOVED_AWAY,
    )
    assert db.session.get(ServiceReferral, pending.id).status == ReferralStatus.DECLINED
    assert db.session.get(ServiceReferral, accepted.id).status == ReferralStatus.ENDED
    assert db.session.get(Service, service.id).capacity_available == 2
    assert db.session.get(Service, accepted.service_id).capacity_available == (
        db.session.get(Service, accepted.service_id).capacity_max
    )
    kinds = db.session.scalars(
        select(TimelineEntry.kind)
        .where(TimelineEntry.case_id == case.id)
        .order_by(TimelineEntry.created_at, TimelineEntry.id)
    ).all()
    assert kinds[-1] == TimelineKind.CASE_WITHDRAWN
