"""Each audited event class writes its row, in the transaction of what it records.

Rows name ids, an action and an outcome: never what was typed (passwords, e-mails, names).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import (
    Agency,
    AuditAction,
    AuditEvent,
    AuditOutcome,
    Case,
    CaseStatus,
    UserSession,
)
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.web.admin.test_manage import NEW_PASSWORD, user_data

POLL = {"HX-Request": "true", "X-Portal-Poll": "1"}


@pytest.fixture
def mark():
    """The newest audit row before the test's requests: rows after it are theirs."""

    def _mark() -> int:
        db.session.commit()
        return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))

    return _mark


def rows_after(mark: int, **criteria) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id)
    for name, value in criteria.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


def values(row: AuditEvent) -> str:
    return " ".join(str(getattr(row, c.key)) for c in AuditEvent.__table__.columns)


# --- signing in and out -------------------------------------------------------------------------


def test_a_sign_in_writes_its_row(client, f, mark):
    officer = f.officer()
    start = mark()
    login(client, officer)
    (row,) = rows_after(start, action=AuditAction.SIGN_IN)
    assert (row.user_id, row.role, row.outcome) == (officer.id, "officer", AuditOutcome.OK)
    assert (row.object_type, row.object_id) == ("users", officer.id)
    assert row.ip_address == "127.0.0.1"
    assert row.at is not None
    # The sign-in's own bookkeeping (counters, session token) is not a "change".
    assert rows_after(start, action=AuditAction.CHANGE) == []


def test_a_refused_sign_in_is_committed_with_its_row_and_nothing_typed(client, f, mark):
    officer = f.officer()
    start = mark()
    token = csrf_token(client, "/login")
    typed = "not the password at all"
    response = client.post(
        "/login", data={"email": officer.email, "password": typed, "csrf_token": token}
    )
    assert response.status_code == 422
    (row,) = rows_after(start, action=AuditAction.SIGN_IN_FAILED)
    assert (row.user_id, row.outcome) == (officer.id, AuditOutcome.REFUSED)
    assert typed not in values(row) and officer.email not in values(row)


def test_a_sign_in_with_an_unknown_email_writes_a_row_without_it(client, mark):
    start = mark()
    token = csrf_token(client, "/login")
    client.post(
        "/login", data={"email": "nobody@example.org", "password": "x" * 12, "csrf_token": token}
    )
    (row,) = rows_after(start, action=AuditAction.SIGN_IN_FAILED)
    assert (row.user_id, row.object_id, row.outcome) == (None, None, AuditOutcome.REFUSED)
    assert "nobody" not in values(row)


def test_a_sign_out_writes_its_row(client, f, mark):
    officer = f.officer()
    login(client, officer)
    start = mark()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/officer/referrals")})
    (row,) = rows_after(start, action=AuditAction.SIGN_OUT)
    (session_id,) = db.session.scalars(
        select(UserSession.id).where(UserSession.user_id == officer.id)
    )
    assert (row.user_id, row.role) == (officer.id, "officer")
    assert (row.object_type, row.object_id) == ("user_sessions", session_id)


# --- views of a participant's record ------------------------------------------------------------


def _case_for(role: str, f):
    """A case and a user of `role` who may open it, with that role's page of it."""
    if role == "admin":
        case = f.CaseFactory()
        return case, f.admin(), f"/admin/cases/{case.id}"
    if role == "officer":
        case = f.CaseFactory()
        return (
            case,
            db.session.get(type(case.officer), case.officer_id),
            (f"/officer/referrals/{case.id}"),
        )
    referral = f.ServiceReferralFactory()
    staff = f.provider(organization=referral.service.organization)
    return referral.case, staff, f"/provider/participants/{referral.case_id}"


@pytest.mark.parametrize("role", ["admin", "officer", "provider"])
def test_opening_a_case_page_writes_one_view_row(client, login_as, f, mark, role):
    case, user, url = _case_for(role, f)
    login_as(user)
    start = mark()
    assert client.get(url).status_code == 200
    (row,) = rows_after(start)
    recorded = "staff" if role == "admin" else role
    assert (row.action, row.user_id, row.role) == (AuditAction.VIEW_RECORD, user.id, recorded)
    assert (row.object_type, row.object_id, row.case_id) == ("cases", case.id, case.id)


@pytest.mark.parametrize("role", ["admin", "officer", "provider"])
def test_a_timeline_fragment_is_a_view_but_its_poll_is_not(client, login_as, f, mark, role):
    case, user, url = _case_for(role, f)
    login_as(user)
    start = mark()
    assert client.get(f"{url}/timeline", headers=POLL).status_code == 200
    assert rows_after(start) == []
    assert client.get(f"{url}/timeline", headers={"HX-Request": "true"}).status_code == 200
    assert [(r.action, r.case_id) for r in rows_after(start)] == [
        (AuditAction.VIEW_RECORD, case.id)
    ]


def _without_csrf(response) -> str:
    body = response.get_data(as_text=True)
    return re.sub(r'("X-CSRFToken": |name="csrf_token" value=)"[^"]*"', r"\1", body)


def test_a_case_out_of_scope_is_audited_as_refused_and_reveals_nothing(client, login_as, f, mark):
    other = f.CaseFactory()
    officer = f.officer()
    login_as(officer)
    start = mark()
    page = client.get(f"/officer/referrals/{other.id}")
    assert page.status_code == 404
    missing = client.get("/officer/referrals/999999")
    assert missing.status_code == 404
    # Someone else's case and no case at all answer alike; both attempts are in the trail.
    # (The CSRF token is signed with the second it was made: two requests may straddle one.)
    assert _without_csrf(page) == _without_csrf(missing)
    rows = rows_after(start, action=AuditAction.VIEW_RECORD)
    assert [(r.object_id, r.outcome, r.user_id, r.case_id) for r in rows] == [
        (other.id, AuditOutcome.REFUSED, officer.id, None),
        (999999, AuditOutcome.REFUSED, officer.id, None),
    ]


def test_a_poll_of_a_case_out_of_scope_writes_nothing(client, login_as, f, mark):
    other = f.CaseFactory()
    login_as(f.officer())
    start = mark()
    assert client.get(f"/officer/referrals/{other.id}/timeline", headers=POLL).status_code == 404
    assert rows_after(start) == []


def test_a_change_to_a_record_out_of_scope_is_audited_as_refused(client, login_as, f, mark):
    case = f.CaseFactory(active=True)
    referral = f.ServiceReferralFactory(case=case)
    stranger = f.provider()
    login_as(stranger)
    start = mark()
    response = post(
        client,
        f"/provider/service-referrals/{referral.id}/accept",
        {},
        page="/provider/",
    )
    assert response.status_code == 404
    (row,) = rows_after(start)
    assert (row.action, row.object_type, row.object_id, row.outcome) == (
        AuditAction.CHANGE,
        "service_referrals",
        referral.id,
        AuditOutcome.REFUSED,
    )


def _statements(client, url: str, headers=None) -> list[str]:
    db.session.commit()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url, headers=headers or {}).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_view_costs_at_most_two_statements(client, login_as, f):
    case, user, url = _case_for("officer", f)
    login_as(user)
    fragment = f"{url}/timeline"
    polled = _statements(client, fragment, POLL)
    viewed = _statements(client, fragment, {"HX-Request": "true"})
    assert len(viewed) - len(polled) <= 2
    assert sum("audit_events" in s for s in viewed) == 1


# --- changes ------------------------------------------------------------------------------------


def test_a_change_through_a_request_writes_its_rows_in_one_statement(client, login_as, f, mark):
    admin = f.admin()
    case = f.CaseFactory()
    login_as(admin)
    url = f"/admin/cases/{case.id}"
    token = csrf_token(client, url)
    start = mark()
    inserts: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO audit_events" in statement:
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.post(f"{url}/accept", data={"version": case.version, "csrf_token": token})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status == CaseStatus.ACCEPTED
    assert len(inserts) == 1
    (row,) = rows_after(start, object_type="cases")
    assert (row.action, row.object_id, row.case_id) == (AuditAction.CHANGE, case.id, case.id)
    assert (row.user_id, row.role, row.outcome) == (admin.id, "staff", AuditOutcome.OK)


def test_a_refused_change_writes_no_change_row(client, login_as, f, mark):
    case = f.CaseFactory()
    login_as(f.admin())
    url = f"/admin/cases/{case.id}"
    start = mark()
    response = post(client, f"{url}/accept", {"version": case.version + 7}, page=url)
    assert response.status_code in (409, 422)
    assert rows_after(start, action=AuditAction.CHANGE) == []


def test_directory_create_and_change_write_their_rows(client, login_as, f, mark):
    admin = f.admin()
    login_as(admin)
    start = mark()
    data = {"name": "Oak Hill Police Department", "short_name": "OHPD"}
    assert post(client, "/admin/agencies/new", data).status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.short_name == "OHPD"))
    data["name"] = "Oak Hill Police Dept."
    assert post(client, f"/admin/agencies/{agency.id}", data).status_code == 302
    rows = rows_after(start, object_type="agencies")
    assert [(r.action, r.object_id, r.user_id) for r in rows] == [
        (AuditAction.CREATE, agency.id, admin.id),
        (AuditAction.CHANGE, agency.id, admin.id),
    ]


def test_role_and_password_changes_have_their_own_actions(client, login_as, f, mark):
    admin = f.admin()
    officer = f.officer()
    org = f.OrganizationFactory()
    login_as(admin)
    start = mark()
    data = user_data(
        name=officer.name,
        email=officer.email,
        role="provider",
        organization_id=str(org.id),
        badge_number="",
        active="y",
    )
    assert post(client, f"/admin/users/{officer.id}", data).status_code == 302
    rows = rows_after(start, object_type="users", object_id=officer.id)
    assert {r.action for r in rows} == {
        AuditAction.ROLE_CHANGE,
        AuditAction.PASSWORD_CHANGE,
        AuditAction.CHANGE,  # the affiliation moved with the role
    }
    assert {r.user_id for r in rows} == {admin.id}
    assert all(NEW_PASSWORD not in values(r) for r in rows)


def test_a_password_change_alone_is_one_row(client, login_as, f, mark):
    officer = f.officer()
    login_as(f.admin())
    start = mark()
    data = user_data(
        name=officer.name,
        email=officer.email,
        agency_id=str(officer.agency_id),
        badge_number="",
        active="y",
    )
    assert post(client, f"/admin/users/{officer.id}", data).status_code == 302
    rows = rows_after(start, object_type="users", object_id=officer.id)
    assert [r.action for r in rows] == [AuditAction.PASSWORD_CHANGE]


def test_deactivating_a_user_is_its_own_action(client, login_as, f, mark):
    officer = f.officer()
    login_as(f.admin())
    start = mark()
    url = f"/admin/users/{officer.id}/deactivate"
    assert post(client, url, page="/admin/users").status_code == 302
    rows = rows_after(start, object_type="users", object_id=officer.id)
    assert [r.action for r in rows] == [AuditAction.DEACTIVATE]


def test_a_settings_change_writes_its_row(client, login_as, f, mark):
    admin = f.admin()
    login_as(admin)
    start = mark()
    data = {
        "intake_deadline_days": "21",
        "eligibility_items": "Adult",
        "exclusion_reasons": "Under 18",
        "audit_retention_days": "3000",
    }
    assert post(client, "/admin/settings", data).status_code == 302
    (row,) = rows_after(start, object_type="program_settings")
    assert (row.action, row.user_id) == (AuditAction.CHANGE, admin.id)


def test_the_sign_in_password_is_never_in_the_trail(client, f, mark):
    officer = f.officer()
    start = mark()
    login(client, officer)
    assert all(PASSWORD not in values(r) for r in rows_after(start))


def test_a_change_the_policy_refuses_is_audited_as_refused_and_keeps_nothing(app, f, mark):
    from flask import Response

    from portal.services.errors import NotPermitted
    from portal.web.changes import run_change

    user = f.officer()
    start = mark()

    def change():
        f.CaseFactory()  # something done before the policy said no: rolled back
        raise NotPermitted("Only the program office can do this.")

    with app.test_request_context("/", method="POST"):
        from portal.services import audit

        token = audit.set_actor(user, "192.0.2.7")
        try:
            response = run_change(
                None, change, refused=lambda status, error: Response(error, status), done=None
            )
        finally:
            audit.reset_actor(token)  # the actor must not outlive this request
    assert response.status_code == 422
    (row,) = rows_after(start)
    assert (row.action, row.outcome, row.user_id) == (
        AuditAction.CHANGE,
        AuditOutcome.REFUSED,
        user.id,
    )
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
