"""Two-step sign-in in the browser: set-up with a QR code, the code step, recovery codes, the
administrator's reset, and MFA_REQUIRED sending a user to set-up before any other page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, AuditOutcome
from portal.services import mfa
from tests.conftest import csrf_token, post
from tests.factories import PASSWORD
from tests.mfa import CODE_RE, NOW, SECRET_RE, code, enrol, password_step, send_code

WRONG_CODE = "The code is not correct"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED", True)


def _wrong(secret: str) -> str:
    return "123456" if code(secret) != "123456" else "654321"


def _secret(html: str) -> str:
    match = SECRET_RE.search(html)
    assert match, "no secret on the set-up page"
    return match.group(1).replace(" ", "")


def _signed_in(client) -> bool:
    return client.get("/officer/referrals").status_code == 200


# --- setting it up ------------------------------------------------------------------------


def test_the_set_up_page_draws_the_qr_code_with_no_script_or_style(client, login_as, f):
    login_as(f.officer())
    response = client.get("/mfa/setup")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "<title>QR code for your authenticator app</title>" in svg
    assert "style" not in svg and "<script" not in svg
    # No inline script or style anywhere on the page (the strict CSP would block them).
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|\sstyle=", html)
    assert len(_secret(html)) == 32
    # Reading the page stores nothing; reloading it keeps the same secret.
    assert _secret(client.get("/mfa/setup").get_data(as_text=True)) == _secret(html)


def test_a_wrong_first_code_is_refused_and_the_right_one_shows_recovery_codes(client, login_as, f):
    user = f.officer()
    login_as(user)
    secret = _secret(client.get("/mfa/setup").get_data(as_text=True))
    refused = send_code(client, _wrong(secret), "/mfa/setup")
    assert refused.status_code == 422
    assert WRONG_CODE in refused.get_data(as_text=True)
    assert not mfa.has_mfa(user)

    done = send_code(client, code(secret), "/mfa/setup")
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    codes = CODE_RE.findall(html)
    assert len(codes) == 10
    assert mfa.has_mfa(user)
    # Shown once: the page now only says it is on, with no secret and no codes.
    again = client.get("/mfa/setup").get_data(as_text=True)
    assert "Two-step sign-in is on" in again and "10 unused recovery codes" in again
    assert not SECRET_RE.search(again) and not CODE_RE.search(again)
    assert secret not in again


def test_the_account_menu_links_to_set_up(client, login_as, f):
    login_as(f.provider())
    assert 'href="/mfa/setup">Two-step sign-in</a>' in client.get("/provider/").get_data(
        as_text=True
    )


# --- signing in ---------------------------------------------------------------------------


def test_a_user_with_mfa_must_give_a_code_after_the_password(client, f):
    user = f.officer()
    secret, _ = enrol(user)
    response = password_step(client, user, PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert not _signed_in(client)  # half signed in: no page yet
    assert client.get("/mfa/setup").headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page

    response = send_code(client, code(secret))
    assert response.status_code == 302
    assert response.headers["Location"] == "/officer/referrals"
    assert _signed_in(client)
    db.session.commit()
    verified = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == AuditAction.MFA_VERIFIED)
    )
    assert verified.user_id == user.id


def test_the_code_step_keeps_the_page_asked_for(client, f):
    user = f.officer()
    secret, _ = enrol(user)
    token = csrf_token(client, "/login")
    client.post(
        "/login?next=/officer/referrals?status%3Daccepted",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    response = send_code(client, code(secret))
    assert response.headers["Location"] == "/officer/referrals?status=accepted"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_wrong_code_is_refused_counted_and_audited(client, f, htmx):
    user = f.officer()
    secret, _ = enrol(user)
    password_step(client, user, PASSWORD)
    headers = {"HX-Request": "true"} if htmx else {}
    response = send_code(client, _wrong(secret), headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert WRONG_CODE in html and 'aria-describedby="code-hint code-error"' in html
    assert ("<html" in html) is not htmx
    assert not _signed_in(client)
    db.session.expire_all()
    assert mfa.credential_of(user).failed_codes == 1
    failed = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == AuditAction.MFA_FAILED)
    )
    assert (failed.user_id, failed.outcome) == (user.id, AuditOutcome.REFUSED)


def test_five_wrong_codes_end_the_half_signed_in_state_and_lock_the_account(client, f):
    user = f.officer()
    secret, _ = enrol(user)
    password_step(client, user, PASSWORD)
    for _ in range(4):
        assert send_code(client, _wrong(secret)).status_code == 422
    locked = send_code(client, _wrong(secret))
    assert locked.headers["Location"] == "/login"
    assert "locked for 10 minutes" in client.get("/login").get_data(as_text=True)
    # The code page is gone, and the right password is refused while the lock lasts.
    assert client.get("/login/code").headers["Location"] == "/login"
    assert password_step(client, user, PASSWORD).status_code == 422


def test_an_old_copy_of_the_half_signed_in_cookie_gains_no_more_guesses(client, f):
    user = f.officer()
    secret, _ = enrol(user)
    password_step(client, user, PASSWORD)
    cookie = client.get_cookie("session").value
    for _ in range(5):
        client.set_cookie("session", cookie)  # replay the cookie from after the password
        send_code(client, _wrong(secret))
    client.set_cookie("session", cookie)
    assert send_code(client, code(secret)).headers["Location"] == "/login"
    assert not _signed_in(client)


def test_a_used_code_is_refused_at_the_next_sign_in(client, f):
    user = f.officer()
    secret, _ = enrol(user)
    password_step(client, user, PASSWORD)
    assert send_code(client, code(secret)).status_code == 302
    post(client, "/logout", page="/officer/referrals")
    password_step(client, user, PASSWORD)
    replay = send_code(client, code(secret))
    assert replay.status_code == 422
    assert not _signed_in(client)


def test_a_recovery_code_signs_in_once(client, f):
    user = f.provider()
    _, codes = enrol(user)
    password_step(client, user, PASSWORD)
    assert send_code(client, codes[0]).headers["Location"] == "/provider/"
    post(client, "/logout", page="/provider/")
    password_step(client, user, PASSWORD)
    assert send_code(client, codes[0]).status_code == 422
    assert send_code(client, codes[1]).status_code == 302


def test_the_half_signed_in_state_expires(client, f, frozen):
    user = f.officer()
    secret, _ = enrol(user)
    password_step(client, user, PASSWORD)
    token = csrf_token(client, "/login/code")
    frozen.shift(6 * 60)
    later = NOW + dt.timedelta(minutes=6)
    response = client.post("/login/code", data={"code": code(secret, later), "csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert "Your sign-in expired" in client.get("/login").get_data(as_text=True)


def test_without_mfa_and_not_required_the_password_signs_in(client, f):
    user = f.officer()
    assert password_step(client, user, PASSWORD).headers["Location"] == "/officer/referrals"


# --- required -----------------------------------------------------------------------------


def test_when_required_a_user_without_mfa_sets_it_up_before_any_page(client, f, required):
    user = f.officer()
    db.session.commit()
    response = password_step(client, user, PASSWORD)
    assert response.headers["Location"] == "/mfa/setup"
    assert client.get("/officer/referrals").status_code == 302
    html = client.get("/mfa/setup").get_data(as_text=True)
    assert "Every user of" in html
    secret = _secret(html)
    done = send_code(client, code(secret), "/mfa/setup")
    assert done.status_code == 200
    assert len(CODE_RE.findall(done.get_data(as_text=True))) == 10
    assert 'href="/officer/referrals"' in done.get_data(as_text=True)
    assert _signed_in(client)


def test_when_required_a_session_signed_in_before_reaches_only_set_up(client, login_as, f, app):
    login_as(f.officer())  # signed in while MFA was not required
    app.config["MFA_REQUIRED"] = True
    try:
        response = client.get("/officer/referrals")
        assert response.headers["Location"] == "/mfa/setup"
        fragment = client.get("/officer/referrals", headers={"HX-Request": "true"})
        assert (fragment.status_code, fragment.headers["HX-Redirect"]) == (401, "/mfa/setup")
        assert client.get("/mfa/setup").status_code == 200
    finally:
        app.config["MFA_REQUIRED"] = False


def test_when_required_a_session_without_the_second_factor_is_ended(client, login_as, f, app):
    user = f.officer()
    login_as(user)  # signed in with the password only, then the user set up MFA elsewhere
    enrol(user)
    app.config["MFA_REQUIRED"] = True
    try:
        assert client.get("/officer/referrals").headers["Location"].startswith("/login")
        assert client.get("/mfa/setup").headers["Location"].startswith("/login")
    finally:
        app.config["MFA_REQUIRED"] = False


def test_mfa_pages_send_anonymous_users_to_sign_in(client):
    assert client.get("/login/code").headers["Location"] == "/login"
    assert client.get("/mfa/setup").headers["Location"] == "/login"


# --- the administrator's reset ------------------------------------------------------------


def test_an_administrator_resets_a_users_mfa_from_their_page(client, login_as, f):
    user = f.officer()
    secret, _ = enrol(user)
    login_as(f.admin())
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Reset two-step sign-in" in page
    response = post(client, f"/admin/users/{user.id}/mfa-reset", page=f"/admin/users/{user.id}")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert not mfa.has_mfa(user)
    assert "Not set up" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    db.session.commit()
    reset = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.MFA_RESET))
    assert reset.object_id == user.id and reset.role == "staff"
    # Nothing left to reset: refused on the page, not an error.
    again = post(client, f"/admin/users/{user.id}/mfa-reset", page=f"/admin/users/{user.id}")
    assert again.status_code == 422


def test_after_a_reset_the_user_signs_in_with_the_password_and_may_set_up_again(client, f):
    user = f.officer()
    enrol(user)
    mfa.reset_mfa(f.admin(), user)
    db.session.commit()
    assert password_step(client, user, PASSWORD).headers["Location"] == "/officer/referrals"


def test_other_roles_cannot_reset_mfa(client, login_as, f):
    user = f.officer()
    enrol(user)
    login_as(f.officer())
    response = post(client, f"/admin/users/{user.id}/mfa-reset", page="/officer/referrals")
    assert response.status_code == 403
    assert mfa.has_mfa(user)


def test_the_secret_is_stored_encrypted_and_signing_in_with_its_codes_works(client, f):
    user = f.officer()
    secret, _ = enrol(user)
    stored = db.session.execute(
        text("SELECT secret FROM mfa_credentials WHERE user_id = :id"), {"id": user.id}
    ).scalar_one()
    assert secret not in stored
    assert password_step(client, user, PASSWORD).headers["Location"].endswith("/login/code")
    assert send_code(client, code(secret)).status_code == 302
    assert _signed_in(client)
