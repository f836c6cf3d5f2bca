"""Provider staff edit the schedule and capacity of their own organisation's services only."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import ServiceReferral
from tests.conftest import csrf_token, post


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def setup(f, login_as):
    own = f.ServiceFactory(name="Detoxification", capacity_max=8, capacity_available=8)
    other = f.ServiceFactory(name="Someone Else's Clinic")
    staff = f.provider(organization=own.organization)
    login_as(staff)
    return own, other, staff


def availability(**overrides):
    data = {
        "schedule-0-weekday": "2",
        "schedule-0-opens_at": "13:00",
        "schedule-0-closes_at": "15:00",
        "capacity_max": "10",
        "capacity_available": "",
    }
    data.update(overrides)
    return data


def test_list_shows_only_own_services_and_nav(client, setup):
    own, other, _ = setup
    page = text(client.get("/provider/services"))
    assert "Detoxification" in page and "Someone Else" not in page
    assert ">Our services</a>" in page
    assert "8 of 8" in page and "By appointment" in page


def test_edit_schedule_and_capacity(client, setup):
    own, _, _ = setup
    url = f"/provider/services/{own.id}"
    assert client.get(url).status_code == 200
    response = post(
        client,
        url,
        availability(
            **{
                "schedule-1-weekday": "4",
                "schedule-1-opens_at": "09:00",
                "schedule-1-closes_at": "11:30",
            }
        ),
    )
    assert response.status_code == 302, text(response)
    listing = text(client.get("/provider/services"))
    assert "Wednesdays 13:00-15:00; Fridays 09:00-11:30" in listing
    assert "10 of 10" in listing
    assert "Schedule and capacity saved." in listing
    # The form shows what was saved.
    form = text(client.get(url))
    assert 'value="09:00"' in form and 'value="10"' in form


def test_another_organisations_service_answers_404(client, setup):
    _, other, _ = setup
    url = f"/provider/services/{other.id}"
    assert client.get(url).status_code == 404
    token = csrf_token(client, "/provider/services")
    response = client.post(url, data={"csrf_token": token, **availability()})
    assert response.status_code == 404
    db.session.refresh(other)
    assert other.capacity_max == 10 and other.by_appointment
    assert client.get("/provider/services/999999").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"schedule-0-closes_at": "13:00"}, "The closing time must be after the opening time."),
        ({"schedule-0-weekday": ""}, "Choose the day of this session."),
        ({"by_appointment": "y"}, "A service by appointment has no weekly sessions"),
        ({"capacity_max": "1", "capacity_available": "0"}, "the maximum cannot be below 2"),
        ({"capacity_available": "9"}, "At most 8 places can be available"),
        ({"capacity_max": ""}, "Enter the maximum number of places."),
        ({"capacity_max": "10001"}, "Enter a number from 0 to 10,000."),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(client, setup, f, overrides, message):
    own, _, staff = setup
    for _ in range(2):
        case = f.CaseFactory()
        db.session.add(ServiceReferral(case_id=case.id, service_id=own.id, created_by_id=staff.id))
    db.session.commit()
    response = post(client, f"/provider/services/{own.id}", availability(**overrides))
    assert response.status_code == 422
    assert message in text(response)
    db.session.refresh(own)
    assert (own.capacity_max, own.capacity_available, own.by_appointment) == (8, 8, True)


def test_admin_and_officer_cannot_use_provider_screen(client, login_as, f):
    service = f.ServiceFactory()
    login_as(f.officer())
    assert client.get(f"/provider/services/{service.id}").status_code == 403
    assert client.get("/provider/services").status_code == 403
