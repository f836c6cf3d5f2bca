"""Program office staff keep their own work phone (the number providers call); nobody else
has the page."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.conftest import post


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_case_manager_sets_and_clears_their_work_phone(client, login_as, f):
    manager = f.case_manager()
    login_as(manager)
    assert 'href="/account/phone"' in text(client.get("/admin/"))
    response = post(client, "/account/phone", {"work_phone": "(304) 555-0101 ext. 14"})
    assert response.status_code == 302
    db.session.refresh(manager)
    assert manager.work_phone == "(304) 555-0101 ext. 14"
    assert "Your work phone was saved." in text(client.get("/account/phone"))
    post(client, "/account/phone", {"work_phone": ""})
    db.session.refresh(manager)
    assert manager.work_phone is None


def test_a_bad_number_is_refused_beside_the_field(client, login_as, f):
    manager = f.case_manager(work_phone="304-555-0101")
    login_as(manager)
    response = post(client, "/account/phone", {"work_phone": "ask at the desk"}, htmx=True)
    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith('<form method="post" action="/account/phone"')
    assert 'id="work_phone-error"' in body and "Enter a phone number of 7 to 15 digits" in body
    db.session.refresh(manager)
    assert manager.work_phone == "304-555-0101"


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_officers_and_providers_have_no_work_phone_page(client, login_as, f, role):
    login_as(getattr(f, role)())
    assert client.get("/account/phone").status_code == 404
    assert 'href="/account/phone"' not in text(client.get("/account/sessions"))
