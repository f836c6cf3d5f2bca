"""Review: smaller integrity holes around service referrals, attendance and case versions."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import AttendanceStatus, Case, CaseStatus, DeclineReason, ServiceStatus
from portal.services import attendance, directory, referrals
from portal.services.errors import DomainError
from tests.conftest import post


@pytest.fixture
def world(f):
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=3, capacity_available=3)
    staff = f.provider(organization=service.organization)
    return admin, service, staff, f.CaseFactory(active=True)


def test_declining_keeps_the_program_offices_assignment_note(world):
    admin, service, staff, case = world
    referral = referrals.assign_service(case, service, admin, note="Prefers mornings")
    referrals.decline_service_referral(referral, staff, DeclineReason.OTHER, "Closed Mondays")
    # The provider's reason is in decline_reason + the timeline; the office's note must survive.
    assert referral.note == "Prefers mornings"


def test_attendance_cannot_predate_the_referral(world):
    admin, service, staff, case = world
    referral = referrals.assign_service(case, service, admin)
    referrals.accept_service_referral(referral, staff)
    with pytest.raises(DomainError):
        attendance.record_attendance(
            referral, dt.date(1999, 1, 1), AttendanceStatus.ATTENDED, staff
        )


def test_a_service_with_open_referrals_cannot_be_made_inactive(world):
    """Making a service inactive while participants hold places is refused, nothing changes."""
    admin, service, staff, case = world
    referrals.assign_service(case, service, admin)
    with pytest.raises(DomainError) as refused:
        directory.update_service(
            admin,
            service,
            by_appointment=True,
            schedule=[],
            capacity_max=3,
            capacity_available=None,
            organization_id=service.organization_id,
            name=service.name,
            category=service.category.value,
            status=ServiceStatus.INACTIVE.value,
        )
    assert refused.value.field == "status"
    assert service.status == ServiceStatus.ACTIVE  # refused before anything was changed


def test_a_temporarily_closed_service_takes_no_one(world):
    """Pending referrals of a temporarily closed service cannot be accepted until it reopens."""
    admin, service, staff, case = world
    referral = referrals.assign_service(case, service, admin)
    service.status = ServiceStatus.TEMPORARILY_CLOSED
    db.session.flush()
    with pytest.raises(DomainError):
        referrals.accept_service_referral(referral, staff)
    service.status = ServiceStatus.ACTIVE
    referrals.accept_service_referral(referral, staff)


def test_a_garbled_version_is_not_a_free_pass(f, login_as):
    """A version field that is not a number must not skip the optimistic lock."""
    admin = f.admin()
    case = f.CaseFactory()  # a fresh referral, not yet screened
    db.session.commit()
    client = login_as(admin)
    url = f"/admin/cases/{case.id}"
    response = post(client, f"{url}/accept", {"version": "stale", "note": ""}, page=url)
    assert response.status_code in (409, 422), response.status_code
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.REFERRED


def test_moving_a_service_does_not_hand_its_past_participants_to_the_new_owner(world, f, login_as):
    """After a service moves organisation, the new owner must not see the old one's participants."""
    admin, service, staff, case = world
    referral = referrals.assign_service(case, service, admin)
    referrals.decline_service_referral(referral, staff, DeclineReason.NO_CAPACITY)
    newcomer = f.OrganizationFactory()
    with pytest.raises(DomainError) as refused:
        directory.update_service(
            admin,
            service,
            by_appointment=True,
            schedule=[],
            capacity_max=3,
            capacity_available=None,
            organization_id=newcomer.id,
            name=service.name,
            category=service.category.value,
            status=ServiceStatus.ACTIVE.value,
        )
    assert refused.value.field == "organization_id"
    assert service.organization_id != newcomer.id
    other_staff = f.provider(organization=newcomer)
    db.session.commit()
    client = login_as(other_staff)
    assert client.get(f"/provider/participants/{case.id}").status_code == 404


def test_an_organisation_serving_participants_cannot_be_deactivated(world, f, login_as):
    admin, service, staff, case = world
    referrals.assign_service(case, service, admin)
    db.session.commit()
    client = login_as(admin)
    url = f"/admin/organizations/{service.organization_id}/deactivate"
    response = post(client, url, page="/admin/organizations", follow_redirects=True)
    assert "1 open referral to this organisation" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(service.organization), service.organization_id).active
