"""Re-authentication before sensitive actions (issue 10): a session whose last password or code
check is older than REAUTH_AFTER is refused those actions, sent to confirm it is the user (the
password, and a code with an authenticator), then back to the page it came from; failures count
towards the lockout and are audited as sign-ins are."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    AuditOutcome,
    ComplianceFlag,
    FlagStatus,
    User,
    UserSession,
)
from portal.services import compliance
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.mfa import NOW, code, enrol, password_step, send_code

QUEUE = "/admin/review"
CONFIRM_PAGE = "/account/confirm"
STALE = dt.timedelta(minutes=16)  # past the 15 minutes, within the 30-minute idle limit
WRONG = "The password or code is not correct"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin(f, client, clock):
    user = f.admin()
    db.session.commit()
    login(client, user)
    return user


def _flag(f) -> ComplianceFlag:
    from portal.clock import local_today

    case = f.CaseFactory(accepted=True, intake_deadline=local_today() - dt.timedelta(days=2))
    compliance.evaluate_case(case)
    db.session.commit()
    return db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))


def _status(flag: ComplianceFlag) -> FlagStatus:
    db.session.expire_all()
    return db.session.get(ComplianceFlag, flag.id).status


def _confirm(client, flag, **kw):
    return post(client, f"{QUEUE}/{flag.id}/confirm", {"version": flag.version}, page=QUEUE, **kw)


def _reauth(client, password: str = PASSWORD, code_value: str | None = None, url: str = ""):
    target = url or CONFIRM_PAGE
    data = {"password": password, "csrf_token": csrf_token(client, target)}
    if code_value is not None:
        data["code"] = code_value
    return client.post(target, data=data)


def _next_of(location: str) -> str | None:
    """Where the confirmation page sends the user back to (its `next`), checking it is that page."""
    parts = urlsplit(location)
    assert parts.path == CONFIRM_PAGE, location
    return parse_qs(parts.query).get("next", [None])[0]


def _session_row(user) -> UserSession:
    db.session.expire_all()
    return db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).one()


def _audit_rows(user, object_type: str) -> list[tuple[AuditAction, AuditOutcome]]:
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.user_id == user.id, AuditEvent.object_type == object_type)
        .order_by(AuditEvent.id)
    )
    return [(r.action, r.outcome) for r in rows]


# --- the check -------------------------------------------------------------------------------


def test_within_15_minutes_of_sign_in_the_action_goes_through(client, f, admin, clock):
    flag = _flag(f)
    clock.shift(dt.timedelta(minutes=14))
    assert _confirm(client, flag).status_code == 302
    assert _status(flag) == FlagStatus.CONFIRMED


def test_a_stale_form_post_is_refused_untouched_and_sent_to_confirm(client, f, admin, clock):
    flag = _flag(f)
    clock.shift(STALE)
    refused = _confirm(client, flag, headers={"Referer": f"http://localhost{QUEUE}"})
    assert refused.status_code == 302
    assert _next_of(refused.headers["Location"]) == QUEUE
    assert _status(flag) == FlagStatus.OPEN  # nothing was done
    page = client.get(refused.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "enter your password again" in html and 'id="reauth-form"' in html
    assert 'name="code"' not in html  # no authenticator: the password only

    back = _reauth(client, url=refused.headers["Location"])
    assert back.status_code == 302 and back.headers["Location"] == QUEUE
    assert _session_row(admin).authenticated_at == NOW + STALE
    assert _confirm(client, flag).status_code == 302
    assert _status(flag) == FlagStatus.CONFIRMED


def test_htmx_gets_a_401_with_hx_redirect(client, f, admin, clock):
    flag = _flag(f)
    clock.shift(STALE)
    current = f"http://localhost{QUEUE}?after=x"
    refused = _confirm(client, flag, htmx=True, headers={"HX-Current-URL": current})
    assert refused.status_code == 401
    assert _next_of(refused.headers["HX-Redirect"]) == f"{QUEUE}?after=x"
    assert _status(flag) == FlagStatus.OPEN


def test_the_export_asked_for_directly_comes_back_to_itself(client, admin, clock):
    clock.shift(STALE)
    refused = client.get("/admin/audit.csv?action=sign_in")
    assert refused.status_code == 302
    assert _next_of(refused.headers["Location"]) == "/admin/audit.csv?action=sign_in"
    back = _reauth(client, url=refused.headers["Location"])
    assert back.headers["Location"] == "/admin/audit.csv?action=sign_in"
    exported = client.get(back.headers["Location"])
    assert exported.status_code == 200 and exported.mimetype == "text/csv"


def test_another_site_as_referrer_or_next_is_never_a_destination(client, f, admin, clock):
    flag = _flag(f)
    clock.shift(STALE)
    refused = _confirm(client, flag, headers={"Referer": "https://evil.example/admin/review"})
    assert _next_of(refused.headers["Location"]) is None  # home afterwards
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        back = _reauth(client, url=f"{CONFIRM_PAGE}?next={bad}")
        assert back.status_code == 302
        assert back.headers["Location"] == "/admin/"
        clock.shift(STALE)


def test_the_limit_follows_the_reauth_after_setting(client, f, admin, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "REAUTH_AFTER", dt.timedelta(minutes=5))
    flag = _flag(f)
    clock.shift(dt.timedelta(minutes=6))
    assert _next_of(_confirm(client, flag).headers["Location"]) is None
    assert _status(flag) == FlagStatus.OPEN


def test_reading_pages_needs_no_confirmation(client, f, admin, clock):
    other = f.officer()
    db.session.commit()
    clock.shift(STALE)
    assert client.get(f"/admin/users/{other.id}").status_code == 200
    assert client.get("/admin/users/new").status_code == 200
    assert client.get(QUEUE).status_code == 200


# --- which actions are sensitive -------------------------------------------------------------

SENSITIVE = {
    "admin.confirm",  # confirming non-compliance
    "admin.record_consent",  # changing a consent
    "admin.revoke_consent",
    "admin.user_new",  # giving someone a role
    "admin.user_invite",
    "admin.user_edit",  # a user's role, state or password
    "admin.user_active",
    "admin.user_mfa_reset",
    "admin.audit_export",  # exporting
    "admin.evaluation_file",
}


def test_exactly_the_sensitive_actions_ask_for_it(app):
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "fresh_auth_required", False)
    }
    assert marked == SENSITIVE


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/admin/cases/{case}/consents"),
        ("post", "/admin/cases/{case}/consents/{consent}/revoke"),
        ("post", "/admin/users/new"),
        ("post", "/admin/users/{user}"),
        ("post", "/admin/users/{user}/deactivate"),
        ("post", "/admin/users/{user}/mfa-reset"),
        ("post", "/admin/review/{flag}/confirm"),
        ("get", "/admin/audit.csv"),
    ],
)
def test_each_sensitive_action_refuses_a_stale_session(client, f, admin, clock, method, path):
    flag = _flag(f)
    consent = f.ConsentFactory(case=f.CaseFactory(active=True))
    other = f.officer()
    db.session.commit()
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    url = path.format(case=consent.case_id, consent=consent.id, user=other.id, flag=flag.id)
    clock.shift(STALE)
    if method == "post":
        answer = post(client, url, {"version": flag.version}, page=QUEUE)
    else:
        answer = client.get(url)
    assert answer.status_code == 302
    _next_of(answer.headers["Location"])
    # Nothing happened: no audit row but the page reads of the request's CSRF token.
    after = db.session.scalars(select(AuditEvent).where(AuditEvent.id > (before or 0))).all()
    assert {row.action for row in after} <= {AuditAction.VIEW_AUDIT, AuditAction.VIEW_RECORD}
    assert db.session.get(User, other.id).active


# --- the confirmation page ---------------------------------------------------------------------


def test_a_wrong_password_is_refused_counted_and_audited_on_the_session(client, admin, clock):
    clock.shift(STALE)
    refused = _reauth(client, "not the password")
    assert refused.status_code == 422
    assert WRONG in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).failed_logins == 1
    assert _session_row(admin).authenticated_at == NOW  # unchanged
    assert _reauth(client).status_code == 302
    assert db.session.get(User, admin.id).failed_logins == 0
    session_id = _session_row(admin).id
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "user_sessions", AuditEvent.object_id == session_id)
        .where(AuditEvent.action.in_([AuditAction.SIGN_IN, AuditAction.SIGN_IN_FAILED]))
        .order_by(AuditEvent.id)
    ).all()
    assert [(r.action, r.outcome) for r in rows] == [
        (AuditAction.SIGN_IN_FAILED, AuditOutcome.REFUSED),
        (AuditAction.SIGN_IN, AuditOutcome.OK),
    ]
    assert all(r.user_id == admin.id for r in rows)


def test_five_wrong_passwords_lock_the_account_and_end_the_session(client, admin, clock):
    clock.shift(STALE)
    for _ in range(4):
        assert _reauth(client, "not the password").status_code == 422
    locked = _reauth(client, "not the password")
    assert locked.status_code == 302 and locked.headers["Location"] == "/login"
    assert "locked for 10 minutes" in client.get("/login").get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # signed out
    db.session.expire_all()
    user = db.session.get(User, admin.id)
    assert user.locked_until is not None and user.locked_until > NOW + STALE
    # The lock holds at the sign-in page as after five wrong sign-ins.
    assert password_step(client, user, PASSWORD).status_code == 422


def test_failures_at_sign_in_and_at_confirmation_count_together(client, app, admin, clock):
    clock.shift(STALE)
    for _ in range(4):
        assert password_step(app.test_client(), admin, "not the password").status_code == 422
    locked = _reauth(client, "not the password")
    assert locked.headers["Location"] == "/login"


def test_with_an_authenticator_the_code_is_asked_too(client, f, clock):
    user = f.admin()
    secret, recovery = enrol(user)
    password_step(client, user, PASSWORD)
    assert send_code(client, code(secret)).status_code == 302
    clock.shift(STALE)
    page = client.get(CONFIRM_PAGE).get_data(as_text=True)
    assert 'name="code"' in page
    missing = _reauth(client, PASSWORD, "")
    assert missing.status_code == 422 and "Enter the code." in missing.get_data(as_text=True)
    later = NOW + STALE
    wrong = "123456" if code(secret, later) != "123456" else "654321"
    assert _reauth(client, PASSWORD, wrong).status_code == 422
    assert _reauth(client, "not the password", code(secret, later)).status_code == 422
    assert _reauth(client, PASSWORD, code(secret, later)).status_code == 302
    assert _session_row(user).authenticated_at == later
    # A recovery code does too (once).
    clock.shift(STALE)
    assert _reauth(client, PASSWORD, recovery[0]).status_code == 302


def test_the_code_step_of_sign_in_renews_the_check(client, f, clock):
    user = f.admin()
    secret, _ = enrol(user)
    password_step(client, user, PASSWORD)
    assert _session_row(user).authenticated_at == NOW
    clock.shift(dt.timedelta(minutes=2))
    assert send_code(client, code(secret, NOW + dt.timedelta(minutes=2))).status_code == 302
    assert _session_row(user).authenticated_at == NOW + dt.timedelta(minutes=2)


def test_the_page_is_for_signed_in_users_only(client):
    answer = client.get(CONFIRM_PAGE)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
