"""Server-side sessions (issue 10, findings 2 and 3, and the user lifecycle): a copied cookie
dies with its session (sign-out, 12 hours, ended remotely, another browser); users of an
inactive agency or organisation are refused; deactivation, a role or a password change end a
user's sessions; "My sessions" lists and ends them."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, Role, StaffRole, UserSession
from portal.models.user_session import hash_token
from portal.services import accounts
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD

HOME = "/officer/referrals"
START = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)


def _copy(client, app, remote_addr: str | None = None):
    """A second browser holding a copy of the client's session cookie (a stolen cookie)."""
    thief = app.test_client()
    if remote_addr:
        thief.environ_base["REMOTE_ADDR"] = remote_addr
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _live(user) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.id)
        )
    )


def _sign_outs() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == AuditAction.SIGN_OUT)
            .order_by(AuditEvent.id)
        )
    )


# --- finding 3: a stolen cookie -----------------------------------------------------------


def test_each_sign_in_is_a_session_holding_only_the_token_hash(client, app, f):
    user = f.officer()
    db.session.commit()
    login(client, user)
    login(app.test_client(), user)
    first, second = _live(user)
    assert first.token_hash != second.token_hash
    assert len(first.token_hash) == 64
    assert first.expires_at - first.created_at == dt.timedelta(hours=12)
    assert first.ip_address == "127.0.0.1"
    assert first.user_agent.startswith("Werkzeug")
    # The cookie carries the token, never its hash; the database never the token.
    with client.session_transaction() as session:
        token = session["_user_id"]
    assert hash_token(token) in {first.token_hash, second.token_hash}
    assert token not in {first.token_hash, second.token_hash}


def test_a_stolen_cookie_dies_at_sign_out_and_the_other_browser_stays(client, app, f):
    user = f.officer()
    db.session.commit()
    login(client, user)
    thief = _copy(client, app)
    laptop = app.test_client()
    login(laptop, user)
    assert thief.get(HOME).status_code == 200

    token = csrf_token(client, HOME)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    assert thief.get(HOME).status_code == 302
    assert laptop.get(HOME).status_code == 200  # only that session ended
    [row] = _sign_outs()
    assert (row.user_id, row.object_type) == (user.id, "user_sessions")


def test_a_session_ends_12_hours_after_sign_in_however_active(client, app, f):
    user = f.officer()
    db.session.commit()
    with time_machine.travel(START, tick=False) as clock:
        login(client, user)
        thief = _copy(client, app)
        for _ in range(24):  # busy all day: never idle 30 minutes
            clock.shift(dt.timedelta(minutes=29))
            assert client.get(HOME).status_code == 200
            assert thief.get(HOME).status_code == 200
        clock.shift(dt.timedelta(hours=12) - dt.timedelta(minutes=29 * 24))
        assert client.get(HOME).status_code == 302
        assert thief.get(HOME).status_code == 302
        login(client, user)  # a new sign-in starts a new session
        assert client.get(HOME).status_code == 200


def test_a_cookie_replayed_from_another_browser_is_refused(client, app, f):
    user = f.officer()
    db.session.commit()
    login(client, user)
    elsewhere = _copy(client, app, remote_addr="203.0.113.9")
    assert elsewhere.get(HOME).status_code == 302
    assert client.get(HOME).status_code == 200


def test_last_seen_is_noted_at_most_once_a_minute_and_never_by_a_poll(client, f):
    user = f.officer()
    case = f.CaseFactory(officer=user)
    db.session.commit()
    with time_machine.travel(START, tick=False) as clock:
        login(client, user)
        [session] = _live(user)
        clock.shift(dt.timedelta(seconds=30))
        client.get(HOME)
        db.session.refresh(session)
        assert session.last_seen_at == START  # within the minute: no write
        clock.shift(dt.timedelta(minutes=5))
        poll = {"HX-Request": "true", "X-Portal-Poll": "1"}
        client.get(f"/officer/referrals/{case.id}/timeline", headers=poll)
        db.session.refresh(session)
        assert session.last_seen_at == START
        client.get(HOME)
        db.session.refresh(session)
        assert session.last_seen_at == START + dt.timedelta(minutes=5, seconds=30)


# --- finding 2: inactive agency or organisation ---------------------------------------------


def test_officer_of_an_inactive_agency_cannot_sign_in(client, f):
    user = f.officer()
    user_agency = db.session.get(type(f.AgencyFactory()), user.agency_id)
    user_agency.active = False
    db.session.commit()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 422
    assert client.get(HOME).status_code == 302
    assert _live(user) == []


def test_staff_of_an_inactive_organisation_are_refused_at_the_next_request(client, f):
    user = f.provider()
    db.session.commit()
    login(client, user)
    assert client.get("/provider/").status_code == 200
    from portal.models import Organization

    db.session.get(Organization, user.organization_id).active = False
    db.session.commit()
    assert client.get("/provider/").status_code == 302
    assert client.get("/account/sessions").status_code == 302


def test_deactivating_an_agency_ends_its_officers_sessions(client, app, f):
    officer, colleague, other = f.officer(), f.officer(), f.officer()
    colleague.agency_id = officer.agency_id
    admin = f.admin()
    db.session.commit()
    for user in (officer, colleague, other):
        login(app.test_client(), user)
    browser = app.test_client()
    login(browser, officer)
    login(client, admin)
    response = post(
        client, f"/admin/agencies/{officer.agency_id}/deactivate", page="/admin/agencies"
    )
    assert response.status_code == 302
    assert _live(officer) == [] and _live(colleague) == []
    assert len(_live(other)) == 1
    assert browser.get(HOME).status_code == 302
    ended = [r for r in _sign_outs() if r.user_id == admin.id]
    assert len(ended) == 3


def test_deactivating_an_organisation_ends_its_staff_sessions(client, app, f):
    staff, admin = f.provider(), f.admin()
    db.session.commit()
    browser = app.test_client()
    login(browser, staff)
    login(client, admin)
    url = f"/admin/organizations/{staff.organization_id}/deactivate"
    assert post(client, url, page="/admin/organizations").status_code == 302
    assert _live(staff) == []
    assert browser.get("/provider/").status_code == 302


# --- the user lifecycle -----------------------------------------------------------------------


def test_deactivating_a_user_ends_their_sessions(client, app, f):
    officer, admin = f.officer(), f.admin()
    db.session.commit()
    browser = app.test_client()
    login(browser, officer)
    login(client, admin)
    assert (
        post(client, f"/admin/users/{officer.id}/deactivate", page="/admin/users").status_code
        == 302
    )
    assert _live(officer) == []
    assert browser.get(HOME).status_code == 302


def _edit(user, **changes) -> dict:
    values = {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "agency_id": user.agency_id,
        "organization_id": user.organization_id,
        "badge_number": user.badge_number,
        "active": user.active,
        "staff_roles": user.staff_roles,
    }
    return {**values, **changes}


def test_a_role_or_password_change_ends_the_users_sessions(app, f):
    admin, officer, other = f.admin(), f.officer(), f.officer()
    db.session.commit()
    for user in (officer, officer, other):
        login(app.test_client(), user)
    accounts.update_user(
        officer,
        **_edit(officer, role=Role.STAFF, agency_id=None, staff_roles={StaffRole.REPORTS}),
        actor=admin,
    )
    assert _live(officer) == []
    login(app.test_client(), officer)
    accounts.update_user(officer, **_edit(officer, name="Renamed"), actor=admin)
    assert len(_live(officer)) == 1  # a change of name is no reason
    accounts.update_user(officer, **_edit(officer), password="a new long passphrase", actor=admin)
    assert _live(officer) == []
    assert len(_live(other)) == 1


def test_changing_ones_own_password_keeps_this_session_with_a_new_token(client, app, f):
    admin = f.admin()
    db.session.commit()
    login(client, admin)
    thief = _copy(client, app)
    elsewhere = app.test_client()
    login(elsewhere, admin)
    data = {
        "email": admin.email,
        "name": admin.name,
        "role": "staff",
        "staff_roles": ["case_manager", "program_admin"],
        "active": "y",
        "password": "another long passphrase",
        "password_confirm": "another long passphrase",
    }
    response = post(client, f"/admin/users/{admin.id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # still signed in here
    assert thief.get("/admin/").status_code == 302  # the old token is dead
    assert elsewhere.get("/admin/").status_code == 302
    [kept] = _live(admin)
    with client.session_transaction() as session:
        assert hash_token(session["_user_id"]) == kept.token_hash


# --- My sessions ------------------------------------------------------------------------------

ROW = re.compile(r'<tr id="session-(\d+)">')


def test_my_sessions_lists_live_sessions_and_marks_this_one(client, app, f):
    user = f.provider()
    db.session.commit()
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    login(phone, user)
    ended = app.test_client()
    login(ended, user)
    post(ended, "/logout", page="/provider/")
    login(client, user)
    html = client.get("/account/sessions").get_data(as_text=True)
    assert len(ROW.findall(html)) == 2
    assert "Safari on iPhone" in html
    assert html.count("This session") == 1
    assert "Sign out other sessions" in html
    assert 'href="/account/sessions"' in html  # linked from the header


def test_ending_another_session_and_all_others(client, app, f):
    user = f.officer()
    db.session.commit()
    phone, tablet = app.test_client(), app.test_client()
    login(phone, user)
    login(tablet, user)
    login(client, user)
    phone_session, tablet_session, this = _live(user)

    response = post(client, f"/account/sessions/{phone_session.id}/end", page="/account/sessions")
    assert response.status_code == 302
    assert phone.get(HOME).status_code == 302
    assert tablet.get(HOME).status_code == 200

    # This one is ended by signing out, not from the list.
    post(client, f"/account/sessions/{this.id}/end", page="/account/sessions")
    assert client.get(HOME).status_code == 200

    response = post(client, "/account/sessions/end-others", page="/account/sessions")
    assert response.status_code == 302
    assert tablet.get(HOME).status_code == 302
    assert client.get(HOME).status_code == 200
    assert [s.id for s in _live(user)] == [this.id]
    audited = {r.object_id for r in _sign_outs() if r.object_type == "user_sessions"}
    assert audited == {phone_session.id, tablet_session.id}


def test_no_one_ends_someone_elses_session(client, app, f):
    mine, theirs = f.officer(), f.officer()
    db.session.commit()
    other = app.test_client()
    login(other, theirs)
    login(client, mine)
    [their_session] = _live(theirs)
    response = post(client, f"/account/sessions/{their_session.id}/end", page="/account/sessions")
    assert response.status_code == 302
    assert other.get(HOME).status_code == 200
    assert client.post(f"/account/sessions/{their_session.id}/end").status_code == 400  # no CSRF
    assert client.post("/account/sessions/end-others").status_code == 400


def test_the_sessions_page_repeats_no_id(client, login_as, f, app):
    user = f.officer()
    login_as(user)
    login(app.test_client(), user)  # a second session: two rows, each with its own form
    page = client.get("/account/sessions").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
