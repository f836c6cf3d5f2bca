"""Accepting an invitation: the public page of the e-mail's link sets the password once, within
72 hours; used, expired, withdrawn and unknown links get one page naming nobody."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from sqlalchemy import select

from portal import create_app
from portal.clock import utcnow
from portal.extensions import db
from portal.models import AuditAction, AuditEvent
from portal.passwords import verify_password
from portal.services import accounts, invitations
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.invitations import NEW_PASSWORD, invite, newest_invitation, token_of

GONE = "This invitation link does not work"


def _accept(client, token, new=NEW_PASSWORD, confirm=None, **kw):
    data = {"new_password": new, "new_password_confirm": new if confirm is None else confirm}
    return post(client, f"/invite/{token}", data, **kw)


def test_an_invited_user_cannot_sign_in_before_accepting(client, f):
    user, _token = invite(f)
    assert not user.active and not user.must_change_password
    # No password signs in: not the demo's, not the factories', not an empty one.
    for password in (PASSWORD, "lead-demo-2026", ""):
        assert not verify_password(user.password_hash, password)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 422


def test_the_page_asks_for_a_password_and_names_nobody(client, f):
    user, token = invite(f)
    response = client.get(f"/invite/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Choose your password</h1>" in html
    assert "12 to 128 characters" in html
    assert 'autocomplete="new-password"' in html
    assert user.name not in html and user.email not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_accepting_sets_the_password_activates_and_sends_to_sign_in(client, f, app, caplog):
    user, token = invite(f)
    with caplog.at_level(logging.DEBUG):
        response = _accept(client, token, page=f"/invite/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "Your password is set." in client.get("/login").get_data(as_text=True)
    db.session.refresh(user)
    assert user.active and not user.must_change_password
    assert verify_password(user.password_hash, NEW_PASSWORD)
    invitation = newest_invitation(user)
    assert invitation.used_at is not None
    # Audited as the invitee: the link used, the password set, the account activated.
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id)
    ).all()
    actions = {(r.action, r.object_type) for r in rows}
    assert (AuditAction.CHANGE, "invitations") in actions
    assert (AuditAction.PASSWORD_CHANGE, "users") in actions
    assert (AuditAction.REACTIVATE, "users") in actions
    # Neither the token nor the password reaches a log line.
    assert token not in caplog.text and NEW_PASSWORD not in caplog.text
    # Signs in with the new password, straight to their home (no forced change).
    signed_in = app.test_client()
    assert login(signed_in, user, NEW_PASSWORD).headers["Location"] == "/officer/referrals"


def test_a_used_link_is_refused(client, f):
    user, token = invite(f)
    assert _accept(client, token).status_code == 303
    again = client.get(f"/invite/{token}")
    assert again.status_code == 410
    html = again.get_data(as_text=True)
    assert GONE in html and user.email not in html and user.name not in html
    response = _accept(client, token, new="another long passphrase here", page="/login")
    assert response.status_code == 410
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_an_unknown_link_gets_the_same_page(client):
    response = client.get("/invite/not-a-real-token-at-all")
    assert response.status_code == 404
    assert GONE in response.get_data(as_text=True)
    assert client.get("/invite/" + "x" * 500).status_code == 404


def test_a_link_expires_after_72_hours(client, f):
    user, token = invite(f)
    with time_machine.travel(utcnow() + dt.timedelta(hours=71, minutes=59)):
        assert client.get(f"/invite/{token}").status_code == 200
    with time_machine.travel(utcnow() + dt.timedelta(hours=72, minutes=1)):
        assert client.get(f"/invite/{token}").status_code == 410
        response = _accept(client, token, page="/login")
        assert response.status_code == 410
        assert GONE in response.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.active


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("password1234", None, "This password is on a list of common or breached passwords."),
        ("lead-demo-2026", None, "This is the demo&#39;s published password."),
        ("gh7#kq2!mz9", None, "Use at least 12 characters."),
        ("ivy invited sunrise", None, "Do not use your name or email address"),
        (NEW_PASSWORD, "something else entirely", "The two passwords do not match."),
        ("", None, "Enter a new password."),
    ],
)
def test_the_password_follows_the_rule(client, f, new, confirm, message, htmx):
    user, token = invite(f)
    response = _accept(client, token, new=new, confirm=confirm, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert ("<html" in html) is not htmx
    db.session.refresh(user)
    assert not user.active
    # Refused, the link still works.
    assert newest_invitation(user).used_at is None
    assert client.get(f"/invite/{token}").status_code == 200


def test_a_resent_invitation_replaces_the_old_link(client, f):
    admin = f.admin()
    user, old = invite(f, admin)
    invitations.resend_invitation(admin, user)
    db.session.commit()
    new = newest_invitation(user)
    fresh = token_of(new)
    assert fresh != old
    assert client.get(f"/invite/{old}").status_code == 410
    assert client.get(f"/invite/{fresh}").status_code == 200
    assert _accept(client, fresh, page=f"/invite/{fresh}").status_code == 303


def test_a_withdrawn_link_is_refused(client, f):
    admin = f.admin()
    user, token = invite(f, admin)
    invitations.revoke_invitation(admin, user)
    db.session.commit()
    assert client.get(f"/invite/{token}").status_code == 410
    assert _accept(client, token, page="/login").status_code == 410
    db.session.refresh(user)
    assert not user.active


def test_a_password_an_administrator_sets_withdraws_the_link(client, f):
    admin = f.admin()
    user, token = invite(f, admin)
    accounts.update_user(
        user,
        email=user.email,
        name=user.name,
        role=user.role,
        agency_id=user.agency_id,
        organization_id=None,
        badge_number=None,
        active=True,
        password="a password set by the office",
        actor=admin,
    )
    db.session.commit()
    assert client.get(f"/invite/{token}").status_code == 410


@pytest.mark.real_commits  # the refusal's audit row is committed by an app of its own
def test_the_page_is_rate_limited_per_address(app):
    limited = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    browser = limited.test_client()
    answers = [browser.get("/invite/guessed-token-number").status_code for _ in range(11)]
    assert answers[:10] == [404] * 10
    assert answers[10] == 429
    assert "Too many attempts" in browser.get("/invite/another").get_data(as_text=True)
    with limited.app_context():
        db.engine.dispose()
