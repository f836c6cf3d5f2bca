"""The password rule wherever an administrator sets a password (new user, reset)."""

from __future__ import annotations

import pytest

from portal.demo.program import DEMO_PASSWORD
from portal.extensions import db
from portal.models import User
from portal.passwords import verify_password
from tests.conftest import post
from tests.factories import PASSWORD
from tests.web.admin.helpers import count, text
from tests.web.admin.test_manage import user_data

COMMON = "This password is on a list of common or breached passwords. Choose another."


def _with_password(password: str, **overrides) -> dict:
    return user_data(password=password, password_confirm=password, **overrides)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", COMMON),
        ("123456789012", COMMON),
        (DEMO_PASSWORD, "This is the demo&#39;s published password. Choose another."),
        ("gh7#kq2!mz9", "Use at least 12 characters."),
        ("x" * 64 + "orbit plinth " * 5 + "q", "Use at most 128 characters."),
        ("olive-tree-garden-9", "Do not use your name or email address in your password."),
    ],
)
def test_a_new_users_password_follows_the_rule(client, acting_admin, f, password, message):
    agency = f.AgencyFactory()
    db.session.commit()
    before = count(User)
    response = post(client, "/admin/users/new", _with_password(password, agency_id=agency.id))
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert 'id="password-error"' in body  # beside the field
    assert count(User) == before


def test_a_reset_password_follows_the_rule(client, acting_admin, f):
    officer = f.officer()
    db.session.commit()
    data = _with_password("password1234", email=officer.email, agency_id=officer.agency_id)
    response = post(client, f"/admin/users/{officer.id}", {**data, "active": "y"})
    assert response.status_code == 422
    assert COMMON in text(response)
    db.session.refresh(officer)
    assert verify_password(officer.password_hash, PASSWORD)  # the old one is kept


def test_the_form_explains_the_rule(client, acting_admin):
    body = text(client.get("/admin/users/new"))
    assert "12 to 128 characters" in body
