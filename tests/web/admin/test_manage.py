"""Administrators manage users, agencies, providers, services and program settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Agency, User
from portal.services.settings import get_settings
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.web.admin.helpers import count, text
from tests.web.paging import next_link

NEW_PASSWORD = "a brand new passphrase"


def user_data(**overrides):
    data = {
        "name": "Olive Officer",
        "email": "olive@fcso.example.org",
        "role": "officer",
        "agency_id": "",
        "organization_id": "",
        "badge_number": "F-112",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


# --- access ----------------------------------------------------------------------------------

MANAGEMENT_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/agencies",
    "/admin/agencies/new",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/settings",
]


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_other_roles_get_403_on_management_pages(client, login_as, f, role):
    login_as(getattr(f, role)())
    org = f.OrganizationFactory()
    service = f.ServiceFactory(organization=org)
    db.session.commit()
    pages = [*MANAGEMENT_PAGES, f"/admin/organizations/{org.id}", f"/admin/services/{service.id}"]
    for url in pages:
        assert client.get(url).status_code == 403, url
    # A POST is refused too (the role gate runs before anything is saved).
    token = csrf_token(client, "/officer/referrals" if role == "officer" else "/provider/")
    response = client.post(
        "/admin/agencies/new", data={"csrf_token": token, "name": "Sneaky agency"}
    )
    assert response.status_code == 403
    assert count(Agency) == (1 if role == "officer" else 0)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_management_pages_render_with_nav(client, acting_admin, f):
    org = f.OrganizationFactory()
    service = f.ServiceFactory(organization=org)
    agency = f.AgencyFactory()
    db.session.commit()
    for url in [
        *MANAGEMENT_PAGES,
        f"/admin/users/{acting_admin.id}",
        f"/admin/agencies/{agency.id}",
        f"/admin/organizations/{org.id}",
        f"/admin/organizations/{org.id}/services/new",
        f"/admin/services/{service.id}",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = text(client.get("/admin/users"))
    for label in ("Users", "Agencies", "Providers", "Settings"):
        assert f">{label}</a>" in page


def test_unknown_objects_answer_404(client, acting_admin):
    for url in [
        "/admin/users/999",
        "/admin/agencies/999",
        "/admin/organizations/999",
        "/admin/services/999",
        "/admin/organizations/999/services/new",
    ]:
        assert client.get(url).status_code == 404, url


def test_csrf_is_enforced_on_management_forms(client, acting_admin):
    response = client.post("/admin/agencies/new", data={"name": "No token agency"})
    assert response.status_code == 400
    response = client.post(
        "/admin/agencies/new", data={"name": "Forged agency", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert count(Agency) == 0


# --- users -----------------------------------------------------------------------------------


def test_create_officer(client, acting_admin, f):
    agency = f.AgencyFactory()
    db.session.commit()
    response = post(client, "/admin/users/new", user_data(agency_id=str(agency.id)))
    assert response.status_code == 302, text(response)
    user = db.session.scalar(select(User).where(User.email == "olive@fcso.example.org"))
    assert (user.agency_id, user.organization_id, user.badge_number) == (agency.id, None, "F-112")
    assert "Olive Officer" in text(client.get("/admin/users"))


def test_a_case_managers_work_phone_is_set_and_cleared(client, acting_admin, f):
    data = user_data(
        role="staff",
        staff_roles="case_manager",
        badge_number="",
        work_phone="  (304) 555-0101 ext. 14 ",
    )
    response = post(client, "/admin/users/new", data)
    assert response.status_code == 302, text(response)
    user = db.session.scalar(select(User).where(User.email == "olive@fcso.example.org"))
    assert user.work_phone == "(304) 555-0101 ext. 14"
    page = text(client.get(f"/admin/users/{user.id}"))
    assert 'value="(304) 555-0101 ext. 14"' in page and 'type="tel"' in page
    edit = {**data, "work_phone": "", "active": "y", "password": "", "password_confirm": ""}
    response = post(client, f"/admin/users/{user.id}", edit)
    assert response.status_code == 302, text(response)
    db.session.refresh(user)
    assert user.work_phone is None


def test_create_provider_staff(client, acting_admin, f):
    org = f.OrganizationFactory()
    db.session.commit()
    response = post(
        client,
        "/admin/users/new",
        user_data(role="provider", organization_id=str(org.id), badge_number=""),
    )
    assert response.status_code == 302, text(response)
    user = db.session.scalar(select(User).where(User.email == "olive@fcso.example.org"))
    assert (user.role.value, user.organization_id, user.agency_id) == ("provider", org.id, None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "   "}, "Enter the person&#39;s name."),
        ({"name": "x" * 121}, "Use at most 120 characters."),
        ({"email": "not-an-email"}, "Enter an email address such as name@example.org."),
        ({"email": "taken@example.org"}, "A user with this email already exists."),
        ({"email": "TAKEN@example.org"}, "A user with this email already exists."),
        ({"agency_id": "999999"}, "Choose the officer&#39;s agency."),
        ({"agency_id": "abc"}, "Choose the officer&#39;s agency."),
        ({"agency_id": ""}, "Choose the officer&#39;s agency."),
        (
            {"role": "provider", "organization_id": "999999"},
            "Choose the staff member&#39;s organisation.",
        ),
        ({"badge_number": "9" * 41}, "Use at most 40 characters."),
        ({"work_phone": "call me"}, "Enter a phone number of 7 to 15 digits"),
        ({"work_phone": "304-555"}, "Enter a phone number of 7 to 15 digits"),
        ({"work_phone": "3" * 41}, "Use at most 40 characters."),
        ({"password": "short", "password_confirm": "short"}, "Use at least 12 characters."),
        ({"password_confirm": "something else"}, "The two passwords do not match."),
    ],
)
def test_bad_user_input_is_refused_with_422(client, acting_admin, f, overrides, message):
    f.officer(email="taken@example.org")
    db.session.commit()
    before = count(User)
    response = post(client, "/admin/users/new", user_data(**overrides))
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert 'aria-invalid="true"' in body
    assert count(User) == before


def test_edit_user_changes_role_and_resets_password(client, acting_admin, f):
    officer = f.officer(name="Old Name")
    org = f.OrganizationFactory()
    db.session.commit()
    response = post(
        client,
        f"/admin/users/{officer.id}",
        user_data(
            name="New Name",
            email=officer.email,
            role="provider",
            organization_id=str(org.id),
            badge_number="",
            active="y",
        ),
    )
    assert response.status_code == 302, text(response)
    db.session.refresh(officer)
    assert (officer.name, officer.role.value, officer.organization_id, officer.agency_id) == (
        "New Name",
        "provider",
        org.id,
        None,
    )
    other = client.application.test_client()
    login(other, officer, NEW_PASSWORD)


def test_edit_keeps_password_when_left_empty(client, acting_admin, f):
    officer = f.officer()
    db.session.commit()
    data = user_data(
        email=officer.email, agency_id=str(officer.agency_id), password="", password_confirm=""
    )
    data["active"] = "y"
    assert post(client, f"/admin/users/{officer.id}", data).status_code == 302
    login(client.application.test_client(), officer, PASSWORD)


def test_bad_edit_saves_nothing(client, acting_admin, f):
    officer = f.officer(name="Kept Name")
    f.officer(email="taken@example.org")
    db.session.commit()
    data = user_data(name="Changed", email="taken@example.org", agency_id=str(officer.agency_id))
    response = post(client, f"/admin/users/{officer.id}", {**data, "active": "y"})
    assert response.status_code == 422
    assert "A user with this email already exists." in text(response)
    db.session.refresh(officer)
    assert officer.name == "Kept Name"


def test_admin_cannot_deactivate_themselves(client, acting_admin):
    response = post(client, f"/admin/users/{acting_admin.id}/deactivate", page="/admin/users")
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in text(response)
    db.session.refresh(acting_admin)
    assert acting_admin.active


def test_deactivated_user_is_signed_out_and_cannot_sign_in(client, acting_admin, f, app):
    officer = f.officer()
    db.session.commit()
    theirs = app.test_client()
    login(theirs, officer)
    assert theirs.get("/officer/referrals").status_code == 200

    response = post(client, f"/admin/users/{officer.id}/deactivate", page="/admin/users")
    assert response.status_code == 302
    assert "deactivated" in text(client.get(response.headers["Location"]))

    # Their existing session stops working at once...
    response = theirs.get("/officer/referrals")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # ...and they can no longer sign in.
    fresh = app.test_client()
    token = csrf_token(fresh, "/login")
    response = fresh.post(
        "/login", data={"email": officer.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "The email or password is not correct." in text(response)

    assert (
        post(client, f"/admin/users/{officer.id}/reactivate", page="/admin/users").status_code
        == 302
    )
    login(app.test_client(), officer)


def test_users_list_is_paginated_and_filtered(client, acting_admin, f):
    for n in range(7):
        f.officer(name=f"Officer {n:02d}")
    f.provider(name="Provider Person", active=False)
    db.session.commit()
    first = text(client.get("/admin/users"))
    assert "9 users." in first and first.count('data-label="Name"') == 5
    second = text(client.get(next_link(first)))
    assert second.count('data-label="Name"') == 4 and next_link(second) is None
    assert "First page" in second
    filtered = text(client.get("/admin/users?role=provider&state=inactive"))
    assert "Provider Person" in filtered and "Officer 00" not in filtered and "Inactive" in filtered
    searched = text(client.get("/admin/users?q=officer 03"))
    assert "Officer 03" in searched and "Officer 04" not in searched
    short = text(client.get("/admin/users?q=o"))
    assert "Type at least 2 characters" in short and "9 users." in short
    fragment = client.get("/admin/users?q=officer", headers={"HX-Request": "true"})
    assert text(fragment).lstrip().startswith('<div id="results"')


# --- settings --------------------------------------------------------------------------------


def test_settings_saved(client, acting_admin):
    response = post(
        client,
        "/admin/settings",
        {
            "intake_deadline_days": "21",
            "charge_filing_days": "730",
            "eligibility_items": "Adult\r\n\r\nLow-level offence\r\n",
            "exclusion_reasons": "Under 18\nOther (see note)",
        },
    )
    assert response.status_code == 302, text(response)
    settings = get_settings()
    assert settings.intake_deadline_days == 21
    assert settings.charge_filing_days == 730
    assert settings.eligibility_items == ["Adult", "Low-level offence"]
    assert settings.exclusion_reasons == ["Under 18", "Other (see note)"]
    assert not settings.drop_in_visits_engage  # off unless ticked
    assert "Low-level offence" in text(client.get("/admin/settings"))


def _engage_box(page: str) -> str:
    """The setting's checkbox, as rendered."""
    return re.search(r'<input[^>]*id="drop_in_visits_engage"[^>]*>', page).group(0)


def test_the_drop_in_setting_is_off_by_default_and_switched_on(client, acting_admin):
    assert "checked" not in _engage_box(text(client.get("/admin/settings")))
    data = {
        "intake_deadline_days": "30",
        "eligibility_items": "Adult",
        "exclusion_reasons": "Under 18",
        "drop_in_visits_engage": "y",
    }
    response = post(client, "/admin/settings", data)
    assert response.status_code == 302, text(response)
    assert get_settings().drop_in_visits_engage
    assert "checked" in _engage_box(text(client.get("/admin/settings")))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"intake_deadline_days": "0"}, "Enter a number of days from 1 to 365."),
        ({"intake_deadline_days": "366"}, "Enter a number of days from 1 to 365."),
        ({"intake_deadline_days": ""}, "Enter the number of days."),
        ({"intake_deadline_days": "x"}, "Enter a whole number, for example 12."),
        ({"eligibility_items": "\n  \n"}, "Enter at least one checklist item, one per line."),
        ({"exclusion_reasons": ""}, "Enter at least one exclusion reason, one per line."),
        ({"exclusion_reasons": "r" * 256}, "Each line must be at most 255 characters."),
        ({"charge_filing_days": "0"}, "Enter a number of days from 1 to 3,650."),
        ({"charge_filing_days": "3651"}, "Enter a number of days from 1 to 3,650."),
        ({"charge_filing_days": "x"}, "Enter a whole number, for example 12."),
    ],
)
def test_bad_settings_are_refused(client, acting_admin, overrides, message):
    get_settings()
    db.session.commit()
    data = {
        "intake_deadline_days": "14",
        "charge_filing_days": "365",
        "eligibility_items": "A",
        "exclusion_reasons": "B",
    }
    response = post(client, "/admin/settings", {**data, **overrides})
    assert response.status_code == 422
    assert message in text(response)
    db.session.expire_all()
    assert get_settings().intake_deadline_days == 30
    assert get_settings().charge_filing_days == 365
