"""Review: a case exit must not leave service referrals open (places held, provider acting)."""

from __future__ import annotations

import contextlib

from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    ReferralStatus,
    Service,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
)
from portal.services import attendance, cases, referrals
from portal.services.errors import DomainError
from tests.conftest import post


def _world(f):
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=2, capacity_available=2)
    staff = f.provider(organization=service.organization)
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    return admin, service, staff, case


def test_withdrawing_a_participant_gives_back_the_places_they_held(f):
    admin, service, staff, case = _world(f)
    pending = referrals.assign_service(case, service, admin)
    other = f.ServiceFactory(capacity_max=1, capacity_available=1)
    accepted = referrals.assign_service(case, other, admin)
    referrals.accept_service_referral(accepted, f.provider(organization=other.organization))
    assert service.capacity_available == 1 and other.capacity_available == 0

    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), "moved away")
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
    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), "moved away")
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
    cases.close_case(case, admin, CaseStatus.COMPLETED, local_today(), "done")
    try:
        attendance.record_attendance(
            referral, local_today(), attendance.AttendanceStatus.ATTENDED, staff
        )
    except DomainError:
        return
    raise AssertionError("attendance was recorded for a participant who left the program")


def test_exited_participant_leaves_the_provider_roster(f, login_as):
    admin, service, staff, case = _world(f)
    referral = referrals.assign_service(case, service, admin)
    referrals.accept_service_referral(referral, staff)
    cases.close_case(case, admin, CaseStatus.WITHDRAWN, local_today(), "moved away")

    person = f.PersonFactory(last_name="Quillfeather")
    case.person_id = person.id
    db.session.commit()
    name = "Quillfeather"
    client = login_as(staff)
    html = client.get("/provider/").get_data(as_text=True)
    assert name not in html


def test_exit_through_the_admin_page_releases_places(f, login_as):
    admin, service, staff, case = _world(f)
    referrals.assign_service(case, service, admin)
    db.session.commit()
    client = login_as(admin)
    url = f"/admin/cases/{case.id}"
    response = post(
        client,
        f"{url}/exit",
        {
            "exit-status": "withdrawn",
            "exit-closed_on": local_today().isoformat(),
            "exit-reason": "moved away",
            "exit-version": str(case.version),
        },
        page=url,
    )
    assert response.status_code in (200, 302), response.status_code
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.WITHDRAWN
    assert db.session.get(Service, service.id).capacity_available == 2
