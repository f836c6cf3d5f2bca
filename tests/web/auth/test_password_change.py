"""Every user changes their own password: the current one required, the rule applied, audited
without the password, other sessions signed out, this one kept."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, AuditOutcome
from portal.passwords import verify_password
from tests.conftest import login, post
from tests.factories import PASSWORD

URL = "/account/password"
NEW = "plinth marmalade orbit tuesday"
HOME = {"officer": "/officer/referrals", "provider": "/provider/", "admin": "/admin/"}


def _change(client, current=PASSWORD, new=NEW, confirm=None, **kw):
    data = {
        "current_password": current,
        "new_password": new,
        "new_password_confirm": new if confirm is None else confirm,
    }
    return post(client, URL, data, **kw)


def _password_rows(user_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == AuditAction.PASSWORD_CHANGE, AuditEvent.object_id == user_id
            )
            .order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize("role", ["officer", "provider", "admin"])
def test_every_role_finds_the_page_from_the_header(client, login_as, f, role):
    login_as(getattr(f, role)())
    home = client.get(HOME[role]).get_data(as_text=True)
    assert f'href="{URL}"' in home
    html = client.get(URL).get_data(as_text=True)
    assert "<h1>Change your password</h1>" in html
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html
    assert "12 to 128 characters" in html


@pytest.mark.parametrize("role", ["officer", "provider", "admin"])
def test_a_user_changes_their_password(client, login_as, f, role, app, caplog):
    user = getattr(f, role)()
    login_as(user)
    elsewhere = app.test_client()
    login(elsewhere, user)
    with caplog.at_level(logging.DEBUG):
        response = _change(client)
    assert response.status_code == 302
    assert response.headers["Location"] == HOME[role]
    assert "Your password was changed." in client.get(HOME[role]).get_data(as_text=True)

    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW)
    assert not verify_password(user.password_hash, PASSWORD)
    # This session goes on; the other one is signed out.
    assert client.get(HOME[role]).status_code == 200
    assert elsewhere.get(HOME[role]).status_code == 302
    # Audited as the user's own change, without either password; nothing logged holds them.
    (row,) = _password_rows(user.id)
    assert (row.user_id, row.outcome, row.object_type) == (user.id, AuditOutcome.OK, "users")
    stored = " ".join(str(v) for v in vars(row).values())
    assert PASSWORD not in stored and NEW not in stored
    assert PASSWORD not in caplog.text and NEW not in caplog.text
    # The new password signs in; the old one no longer does.
    login(app.test_client(), user, NEW)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_wrong_current_password_is_refused_and_audited(client, login_as, f, htmx, caplog):
    user = f.officer()
    login_as(user)
    with caplog.at_level(logging.DEBUG):
        response = _change(client, current="not my password at all", htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Your current password is not correct." in html
    assert 'id="current_password-error"' in html
    assert ("<html" in html) is not htmx
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    (row,) = _password_rows(user.id)
    assert (row.user_id, row.outcome) == (user.id, AuditOutcome.REFUSED)
    assert "not my password at all" not in caplog.text and NEW not in caplog.text


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("password1234", None, "This password is on a list of common or breached passwords."),
        ("123456789012", None, "This password is on a list of common or breached passwords."),
        ("lead-demo-2026", None, "This is the demo&#39;s published password."),
        ("gh7#kq2!mz9", None, "Use at least 12 characters."),
        (PASSWORD, None, "Choose a password different from your current one."),
        (NEW, "something else entirely", "The two passwords do not match."),
        ("", None, "Enter a new password."),
    ],
)
def test_the_new_password_follows_the_rule(client, login_as, f, new, confirm, message):
    user = f.provider()
    login_as(user)
    response = _change(client, new=new, confirm=confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    assert _password_rows(user.id) == []


def test_the_name_is_refused_in_a_new_password(client, login_as, f):
    user = f.officer(name="Morgan Tillery", email="morgan.tillery@example.org")
    login_as(user)
    response = _change(client, new="tillery sunrise harbour")
    assert response.status_code == 422
    assert "Do not use your name or email address" in response.get_data(as_text=True)


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
