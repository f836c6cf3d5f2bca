"""Sign-in and sign-out: messages, session rotation, server-side logout, safe redirects."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

WRONG = "The email or password is not correct."


def _sign_in(client, email, password, next_url=None):
    token = csrf_token(client, "/login")
    url = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def _cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_sign_in_page_shows_the_system_use_banner(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Authorised use only." in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_wrong_password_is_refused_with_a_message(client, f, htmx):
    user = f.officer()
    db.session.commit()
    token = csrf_token(client, "/login")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        "/login",
        data={"email": user.email, "password": "not the password", "csrf_token": token},
        headers=headers,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert WRONG in html
    assert 'aria-describedby="password-error"' in html
    assert ("<html" in html) is not htmx
    assert client.get("/officer/referrals").status_code == 302  # still signed out


def test_unknown_email_gets_the_same_message(client):
    response = _sign_in(client, "nobody@example.org", PASSWORD)
    assert response.status_code == 422
    assert WRONG in response.get_data(as_text=True)


def test_email_is_matched_whatever_its_case(client, f):
    user = f.admin(email="dana@example.org")
    db.session.commit()
    response = _sign_in(client, "Dana@Example.ORG", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert user.id


def test_inactive_user_cannot_sign_in(client, f):
    user = f.officer(active=False)
    db.session.commit()
    response = _sign_in(client, user.email, PASSWORD)
    assert response.status_code == 422
    assert WRONG in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_session(client, login_as, f):
    user = f.officer()
    login_as(user)
    assert client.get("/officer/referrals").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/officer/referrals").status_code == 302


def test_session_is_rotated_at_sign_in(client, f):
    user = f.officer()
    db.session.commit()
    token_before = csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "set before sign-in"  # e.g. by an attacker fixing the session
    before = _cookie(client)

    login(client, user)

    after = _cookie(client)
    assert after and after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session
    assert csrf_token(client, "/officer/referrals") != token_before


def test_sign_out_is_server_side(client, app, f):
    user = f.officer()
    db.session.commit()
    login(client, user)
    copied = _cookie(client)
    assert client.get("/officer/referrals").status_code == 200

    token = csrf_token(client, "/officer/referrals")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"

    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/officer/referrals").status_code == 302  # the old cookie is dead
    # ...and the user can sign in again afresh.
    login(client, user)
    assert client.get("/officer/referrals").status_code == 200


def test_sign_out_needs_post_with_csrf(client, login_as, f):
    login_as(f.officer())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/officer/referrals").status_code == 200


def test_signed_in_user_visiting_sign_in_goes_home(client, login_as, f):
    login_as(f.provider())
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/"


def test_next_is_honoured_for_a_local_path(client, f):
    user = f.officer()
    db.session.commit()
    response = _sign_in(client, user.email, PASSWORD, next_url="/officer/referrals/new")
    assert response.headers["Location"] == "/officer/referrals/new"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_open_redirect_in_next_is_refused(client, f, target):
    user = f.officer()
    db.session.commit()
    response = _sign_in(client, user.email, PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/officer/referrals"


def test_session_ends_after_30_minutes_idle(client, f):
    user = f.officer()
    db.session.commit()
    start = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        login(client, user)
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/officer/referrals").status_code == 200  # activity renews it
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/officer/referrals").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/officer/referrals")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_polling_does_not_keep_an_idle_session_alive(client, f):
    user = f.officer()
    case = f.CaseFactory(officer=user)
    db.session.commit()
    poll = {"HX-Request": "true", "X-Portal-Poll": "1"}
    timeline = f"/officer/referrals/{case.id}/timeline"
    start = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        login(client, user)
        assert client.get(f"/officer/referrals/{case.id}").status_code == 200
        for _ in range(4):  # a page left open polls every few seconds: no activity
            clock.shift(dt.timedelta(minutes=10))
            response = client.get(timeline, headers=poll)
        assert response.status_code == 401
        assert response.headers["HX-Redirect"].startswith("/login")
        assert client.get("/officer/referrals").status_code == 302  # signed out for good
    # The session lock is on the audit trail, like any sign-out.
    [row] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.SIGN_OUT)
    ).all()
    assert (row.user_id, row.object_type) == (user.id, "user_sessions")


def test_the_page_marks_its_polling_requests(client, f):
    user = f.officer()
    case = f.CaseFactory(officer=user)
    db.session.commit()
    login(client, user)
    html = client.get(f"/officer/referrals/{case.id}").get_data(as_text=True)
    assert """hx-headers='{"X-Portal-Poll": "1"}'""" in html


def test_session_cookie_is_http_only_and_same_site(client, f):
    user = f.officer()
    db.session.commit()
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # A browser session's cookie: the server-side session behind it ends within 12 hours.
    assert "Expires=" not in cookie
