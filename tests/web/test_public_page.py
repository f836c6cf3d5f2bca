"""The public program page: what a visitor who is not signed in sees at the portal's address."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import (
    Organization,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceSchedule,
    ServiceStatus,
)
from portal.services.program_page import DEFAULT_NAME
from tests.web.paging import BAD_CURSORS


def clinic(f=None, **kw) -> Service:
    """The Health Department's harm reduction clinic: walk-in, Wednesdays 1:00-3:00 pm."""
    org = Organization(
        name=kw.pop("org_name", "Fayette County Health Department"),
        phone="(304) 555-0178",
        address="210 W Maple Ave, Fayetteville, WV",
    )
    db.session.add(org)
    db.session.flush()
    service = Service(
        organization_id=org.id,
        name=kw.pop("name", "Harm Reduction Clinic"),
        category=ServiceCategory.HARM_REDUCTION,
        description="Practical strategies to reduce harm.",
        kind=ServiceKind.DROP_IN,
        **kw,
    )
    service.schedules = [
        ServiceSchedule(weekday=2, opens_at=dt.time(13, 0), closes_at=dt.time(15, 0))
    ]
    db.session.add(service)
    db.session.flush()
    return service


def test_a_visitor_sees_the_program_its_contact_and_the_clinic(client):
    clinic()
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert DEFAULT_NAME in page
    assert "pre-booking program" in page  # the description
    assert "Reduce recidivism" in page  # the goals
    assert "Take referrals from law-enforcement" in page  # how referral works
    assert "Harm Reduction Clinic" in page and "Practical strategies" in page
    assert "Every Wednesday, 1:00\u202fPM to 3:00\u202fPM" in page
    assert 'href="tel:3045550178"' in page and "210 W Maple Ave" in page
    assert 'href="/login"' in page and "Staff sign in" in page
    assert "X-Robots-Tag" not in response.headers


def test_the_page_shows_no_participant(client, f):
    case = f.CaseFactory(active=True)
    names = (case.person.first_name, case.person.last_name)
    page = client.get("/").get_data(as_text=True)
    assert all(name not in page for name in names), names
    assert "Sign out" not in page


def test_a_signed_in_user_is_still_sent_home(client, login_as, f):
    login_as(f.officer())
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/officer/referrals"


def test_the_page_in_spanish_from_the_query_or_the_browser(client):
    clinic()
    spanish = client.get("/?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in spanish
    assert "Sobre el programa" in spanish and "Cada miércoles, de 13:00 a 15:00" in spanish
    assert 'href="/?lang=en"' in spanish  # the switch back
    browser = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert "Sobre el programa" in browser.get_data(as_text=True)
    assert "Accept-Language" in browser.headers["Vary"]
    english = client.get("/?lang=en", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "About the program" in english
    assert 'href="/?lang=es"' in english
    # An unknown language is English, never an error.
    assert "About the program" in client.get("/?lang=xx").get_data(as_text=True)


def test_only_active_services_of_active_organisations_are_listed(client):
    clinic(status=ServiceStatus.INACTIVE, name="Closed Clinic")
    gone = clinic(org_name="Gone Org", name="Gone Service")
    gone.organization.active = False
    clinic(org_name="Open Org", name="Open Service")
    page = client.get("/").get_data(as_text=True)
    assert "Open Service" in page
    assert "Closed Clinic" not in page and "Gone Service" not in page


def test_the_directory_is_a_page_at_a_time(client, monkeypatch, app):
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_SIZE", 2)
    for n in range(3):
        clinic(org_name=f"Org {n}", name=f"Service {n}")
    first = client.get("/").get_data(as_text=True)
    assert "Service 0" in first and "Service 1" in first and "Service 2" not in first
    link = first.split('href="/?after=', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get("/?after=" + link).get_data(as_text=True)
    assert "Service 2" in second and "Service 0" not in second


def test_search_engines_may_index_the_program_page_and_nothing_else(client):
    assert "X-Robots-Tag" not in client.get("/").headers
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert "Allow: /$" in robots.get_data(as_text=True)
    assert "Disallow: /" in robots.get_data(as_text=True)
    assert client.get("/login").headers["X-Robots-Tag"] == "noindex, nofollow"


def test_the_seed_clinic_of_the_demo_is_on_the_page(client, runner):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    page = client.get("/").get_data(as_text=True)
    assert "Harm Reduction Clinic" in page
    assert "Every Wednesday, 1:00\u202fPM to 3:00\u202fPM" in page


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_forged_cursor_answers_the_first_page(client, cursor):
    clinic()
    response = client.get("/", query_string={"after": cursor})
    assert response.status_code == 200
    assert "Harm Reduction Clinic" in response.get_data(as_text=True)
