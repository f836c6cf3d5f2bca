"""The provider's visits page of a drop-in service: named visits and the anonymous count,
refusals beside the field with 422, another organisation's or a scheduled service 404, and
the officer never shown a visit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    DropInCount,
    DropInVisit,
    ServiceSchedule,
)
from portal.services import visits
from tests.conftest import post


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def clinic(f):
    service = f.drop_in_service(name="Harm Reduction Clinic")
    service.schedules.append(
        ServiceSchedule(weekday=local_today().weekday(), opens_at=dt.time(0), closes_at=dt.time(23))
    )
    staff = f.provider(organization=service.organization)
    db.session.flush()
    return service, staff


def _page(service, day=None):
    return f"/provider/services/{service.id}/visits?day={(day or local_today()).isoformat()}"


def _post(service, what):
    return f"/provider/services/{service.id}/visits/{local_today().isoformat()}/{what}"


def test_a_named_visit_and_the_count_are_recorded_from_the_page(client, login_as, clinic, f):
    service, staff = clinic
    case = f.CaseFactory(active=True)
    login_as(staff)
    page = _page(service)
    assert "Anonymous visitors" in text(client.get(page))
    person = case.person
    data = {
        "named-first_name": person.first_name,
        "named-last_name": person.last_name,
        "named-dob": person.dob.isoformat(),
    }
    response = post(client, _post(service, "named"), data, page=page)
    assert response.status_code == 302, text(response)
    assert person.full_name in text(client.get(page))
    response = post(client, _post(service, "count"), {"count-visitors": "12"}, page=page)
    assert response.status_code == 302
    assert "Recorded: <strong>12</strong>" in text(client.get(page))
    assert _count(DropInVisit) == 1 and _count(DropInCount) == 1
    audited = db.session.scalars(
        select(AuditEvent.object_type).where(AuditEvent.action == AuditAction.CREATE)
    ).all()
    assert {"drop_in_visits", "drop_in_counts"} <= set(audited)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Enter a number of visitors from 0 to 500."),
        ("501", "Enter a number of visitors from 0 to 500."),
        ("", "Enter a number of visitors from 0 to 500."),
        ("lots", "Enter a whole number, for example 12."),
    ],
)
def test_a_bad_count_is_refused_beside_the_field(client, login_as, clinic, value, message):
    service, staff = clinic
    login_as(staff)
    response = post(client, _post(service, "count"), {"count-visitors": value}, page=_page(service))
    assert response.status_code == 422
    assert message in text(response)
    assert _count(DropInCount) == 0


def test_a_name_that_matches_nobody_is_refused_and_shows_no_one(client, login_as, clinic, f):
    service, staff = clinic
    case = f.CaseFactory(active=True)
    login_as(staff)
    data = {
        "named-first_name": case.person.first_name,
        "named-last_name": case.person.last_name,
        "named-dob": "1950-01-01",
    }
    response = post(client, _post(service, "named"), data, page=_page(service))
    assert response.status_code == 422
    body = text(response)
    assert "No active participant has this name and date of birth" in body
    assert _count(DropInVisit) == 0


def test_another_organisations_drop_in_answers_404(client, login_as, clinic, f):
    service, _ = clinic
    login_as(f.provider())
    assert client.get(_page(service)).status_code == 404
    response = post(client, _post(service, "count"), {"count-visitors": "3"}, page="/provider/")
    assert response.status_code == 404
    assert _count(DropInCount) == 0


def test_a_scheduled_service_has_no_visits_page(client, login_as, clinic, f):
    service, staff = clinic
    group = f.ServiceFactory(organization=service.organization)
    login_as(staff)
    assert client.get(_page(group)).status_code == 404


def test_the_session_page_of_a_drop_in_leads_to_its_visits(client, login_as, clinic):
    service, staff = clinic
    login_as(staff)
    day = local_today().isoformat()
    response = client.get(f"/provider/sessions/{service.id}/{day}")
    assert response.status_code == 302
    assert f"/provider/services/{service.id}/visits?day={day}" in response.headers["Location"]
    assert "Visits" in text(client.get("/provider/services"))


def test_the_officer_sees_no_visit(client, login_as, clinic, f):
    service, staff = clinic
    consent = f.ConsentFactory(discloses_attendance=True, discloses_outcome=True)
    case = consent.case
    person = case.person
    visits.record_named_visit(
        service,
        local_today(),
        staff,
        first_name=person.first_name,
        last_name=person.last_name,
        dob=person.dob,
    )
    login_as(case.officer)
    body = text(client.get(f"/officer/referrals/{case.id}"))
    assert "Intake complete" in body  # the officer does see the consented status
    assert "Harm Reduction" not in body and "drop-in" not in body.lower()
