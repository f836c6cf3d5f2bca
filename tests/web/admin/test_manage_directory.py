"""Administrators manage agencies, provider organisations and their services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Agency, Organization, Service, ServiceReferral
from tests.conftest import post
from tests.web.admin.helpers import count, service_data, text

# --- agencies --------------------------------------------------------------------------------


def test_agency_create_edit_deactivate(client, acting_admin):
    response = post(
        client, "/admin/agencies/new", {"name": "Oak Hill Police Department", "short_name": "OHPD"}
    )
    assert response.status_code == 302, text(response)
    agency = db.session.scalar(select(Agency))
    response = post(
        client,
        f"/admin/agencies/{agency.id}",
        {"name": "Oak Hill Police Dept.", "short_name": "OHPD"},
    )
    assert response.status_code == 302
    db.session.refresh(agency)
    assert agency.name == "Oak Hill Police Dept."
    assert (
        post(client, f"/admin/agencies/{agency.id}/deactivate", page="/admin/agencies").status_code
        == 302
    )
    db.session.refresh(agency)
    assert not agency.active
    assert "Inactive" in text(client.get("/admin/agencies"))
    # An inactive agency is no longer offered for new officers.
    assert "Oak Hill Police Dept." not in text(client.get("/admin/users/new"))
    post(client, f"/admin/agencies/{agency.id}/reactivate", page="/admin/agencies")
    db.session.refresh(agency)
    assert agency.active


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter the agency&#39;s name."),
        ({"name": "a" * 121}, "Use at most 120 characters."),
        ({"name": "Taken Agency"}, "An agency with this name already exists."),
        ({"name": "taken agency"}, "An agency with this name already exists."),
        ({"name": "Fine", "short_name": "S" * 21}, "Use at most 20 characters."),
    ],
)
def test_bad_agency_input(client, acting_admin, f, data, message):
    f.AgencyFactory(name="Taken Agency")
    db.session.commit()
    response = post(client, "/admin/agencies/new", data)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Agency) == 1


# --- organisations ---------------------------------------------------------------------------


def test_organisation_create_and_edit(client, acting_admin):
    data = {
        "name": "FMRS",
        "description": "Behavioral health.",
        "phone": "(304) 555-0142",
        "email": "info@fmrs.example.org",
        "website": "https://fmrs.example.org",
        "address": "101 S Eisenhower Dr, Beckley, WV",
    }
    response = post(client, "/admin/organizations/new", data)
    assert response.status_code == 302, text(response)
    org = db.session.scalar(select(Organization))
    assert (org.phone, org.website, org.active) == (
        "(304) 555-0142",
        "https://fmrs.example.org",
        True,
    )
    response = post(client, f"/admin/organizations/{org.id}", {**data, "phone": ""})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.phone is None
    assert "FMRS" in text(client.get("/admin/organizations"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "Enter the organisation&#39;s name."),
        ({"name": "Taken Provider"}, "An organisation with this name already exists."),
        ({"email": "nope"}, "Enter an email address such as info@example.org."),
        ({"website": "not a url"}, "Enter a web address such as https://example.org."),
        ({"phone": "5" * 41}, "Use at most 40 characters."),
        ({"description": "d" * 4001}, "Use at most 4,000 characters."),
    ],
)
def test_bad_organisation_input(client, acting_admin, f, overrides, message):
    f.OrganizationFactory(name="Taken Provider")
    db.session.commit()
    response = post(client, "/admin/organizations/new", {"name": "New Provider", **overrides})
    assert response.status_code == 422
    assert message in text(response)
    assert count(Organization) == 1


def test_organisation_deactivation(client, acting_admin, f):
    org = f.OrganizationFactory()
    db.session.commit()
    page = f"/admin/organizations/{org.id}"
    response = post(client, f"{page}/deactivate", {"next": page}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    db.session.refresh(org)
    assert not org.active
    response = post(client, f"{page}/reactivate", {"next": "https://evil.example"}, page=page)
    assert response.headers["Location"].endswith("/admin/organizations")


# --- services --------------------------------------------------------------------------------


def test_service_create_with_schedule(client, acting_admin, f):
    org = f.OrganizationFactory()
    db.session.commit()
    url = f"/admin/organizations/{org.id}/services/new"
    response = post(client, url, service_data(org))
    assert response.status_code == 302, text(response)
    service = db.session.scalar(select(Service))
    assert service.capacity_available == 40 and not service.by_appointment
    page = text(client.get(f"/admin/organizations/{org.id}"))
    assert "Wednesdays 13:00-15:00" in page and "40 of 40" in page


def test_service_edit_switches_to_by_appointment(client, acting_admin, f):
    service = f.ServiceFactory(by_appointment=False, capacity_max=10, capacity_available=10)
    db.session.commit()
    edit = text(client.get(f"/admin/services/{service.id}"))
    assert 'value="Service' in edit
    data = service_data(
        service.organization,
        name=service.name,
        by_appointment="y",
        **{"schedule-0-weekday": "", "schedule-0-opens_at": "", "schedule-0-closes_at": ""},
        capacity_max="12",
        capacity_available="10",
    )
    response = post(client, f"/admin/services/{service.id}", data)
    assert response.status_code == 302, text(response)
    db.session.refresh(service)
    assert service.by_appointment and (service.capacity_max, service.capacity_available) == (12, 12)


BAD_SERVICE = [
    ({"name": ""}, "Enter the service&#39;s name."),
    ({"name": "n" * 121}, "Use at most 120 characters."),
    ({"name": "Taken Service"}, "This organisation already has a service with this name."),
    ({"organization_id": "999999"}, "Choose the organisation."),
    ({"organization_id": "zzz"}, "Choose the organisation."),
    ({"category": ""}, "Choose a category."),
    ({"min_age": "40", "max_age": "30"}, "The maximum age cannot be below the minimum age."),
    ({"min_age": "200"}, "Enter an age from 0 to 120."),
    ({"schedule-0-closes_at": "12:00"}, "The closing time must be after the opening time."),
    ({"schedule-0-opens_at": ""}, "Enter the opening time."),
    ({"schedule-0-weekday": "9"}, "Not a valid choice."),
    ({"schedule-0-opens_at": "1pm"}, "Enter a time, for example 13:00."),
    (
        {
            "schedule-1-weekday": "2",
            "schedule-1-opens_at": "14:00",
            "schedule-1-closes_at": "16:00",
        },
        "This session overlaps another session on Wednesday.",
    ),
    ({"by_appointment": "y"}, "A service by appointment has no weekly sessions"),
    (
        {"schedule-0-weekday": "", "schedule-0-opens_at": "", "schedule-0-closes_at": ""},
        "Give at least one weekly session, or mark the service as by appointment.",
    ),
    ({"capacity_max": ""}, "Enter the maximum number of places."),
    ({"capacity_max": "-1"}, "Enter a number from 0 to 10,000."),
    ({"capacity_max": "ten"}, "Enter a whole number, for example 12."),
    ({"capacity_available": "41"}, "At most 40 places can be available."),
    ({"capacity_available": "-3"}, "Enter a number from 0 to 10,000."),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_SERVICE)
def test_bad_service_input_is_refused(client, acting_admin, f, overrides, message):
    org = f.OrganizationFactory()
    f.ServiceFactory(organization=org, name="Taken Service")
    db.session.commit()
    response = post(
        client, f"/admin/organizations/{org.id}/services/new", service_data(org, **overrides)
    )
    assert response.status_code == 422
    assert message in text(response)
    assert count(Service) == 1


def test_service_edit_respects_held_places(client, acting_admin, f):
    service = f.ServiceFactory(capacity_max=10, capacity_available=8, by_appointment=True)
    for _ in range(2):
        case = f.CaseFactory()
        db.session.add(
            ServiceReferral(case_id=case.id, service_id=service.id, created_by_id=acting_admin.id)
        )
    db.session.commit()
    url = f"/admin/services/{service.id}"
    assert "2 places are held by open referrals" in text(client.get(url))
    data = service_data(
        service.organization,
        name=service.name,
        by_appointment="y",
        **{"schedule-0-weekday": "", "schedule-0-opens_at": "", "schedule-0-closes_at": ""},
        capacity_max="1",
        capacity_available="0",
        status="temporarily_closed",
    )
    response = post(client, url, {**data, "name": "Renamed"})
    assert response.status_code == 422
    assert "2 places are held by open referrals; the maximum cannot be below 2." in text(response)
    db.session.refresh(service)
    kept = (service.name, service.capacity_max, service.capacity_available, service.status.value)
    assert kept == (data["name"], 10, 8, "active")
    response = post(client, url, {**data, "capacity_max": "5", "capacity_available": "8"})
    assert response.status_code == 302, text(response)
    db.session.refresh(service)
    assert (service.capacity_max, service.capacity_available) == (5, 3)
    assert service.status.value == "temporarily_closed"


def test_demo_directory_pages_render_and_resave_unchanged(client, f):
    from portal.demo.program import DEMO_PASSWORD, seed
    from portal.models import User
    from tests.conftest import login

    seed()
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.email == "admin@lead.example.org"))
    login(client, admin, DEMO_PASSWORD)
    for url in ["/admin/users", "/admin/agencies", "/admin/organizations", "/admin/settings"]:
        assert client.get(url).status_code == 200, url
    clinic = db.session.scalar(select(Service).where(Service.name == "Harm Reduction Clinic"))
    url = f"/admin/services/{clinic.id}"
    assert "Wednesday" in text(client.get(url))
    unchanged = service_data(
        clinic.organization,
        name=clinic.name,
        description=clinic.description,
        eligibility=clinic.eligibility,
        kind="drop_in",  # walk-in: no places to enter
        capacity_max="",
        capacity_available="",
    )
    response = post(client, url, unchanged)
    assert response.status_code == 302, text(response)
