"""The program office's duties: case manager, program administrator, reports (read only).

The matrix is generated from the URL map: every office route must be listed under the duties it
serves, so no route can be added without deciding who may use it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, Case, CaseStatus, Role, StaffRole, User
from portal.services import cases
from portal.services.errors import NotPermitted
from tests.conftest import csrf_token
from tests.web.admin.test_manage import user_data
from tests.web.test_authorization import _routes

CASE_WORK = {
    "accept_referral", "assign_service", "attach_consent_scan", "case_detail", "case_list",
    "case_timeline", "complete_service", "decline_referral", "disclosures", "edit_details",
    "end_service", "exit_case", "intake", "keep_apart", "link_person", "matching_screen",
    "print_consent", "queue", "record_assessment", "record_consent", "record_contact",
    "revoke_consent", "review_queue", "dismiss", "confirm", "consent_officers",
    "assign_case_manager", "outreach_queue", "caseloads",
    "office_referral", "person_detail", "merge_person", "confirm_merge", "undo_merge",
    "case_outcomes", "save_demographics", "record_justice_event", "record_monthly_status",
    "confirm_step_down", "decline_step_down",
}  # fmt: skip
ADMINISTRATION = {
    "users", "user_new", "user_edit", "user_active", "user_mfa_reset", "agencies", "agency_new",
    "agency_edit", "agency_active", "organizations", "organization_new", "organization_edit",
    "organization_active", "service_new", "service_edit", "settings", "rules", "update_rule",
    "audit_log", "audit_export", "mail_failures", "retry_mail", "user_invite", "user_invitation",
    "caseloads", "evaluation_file", "directory_file", "directory_export", "directory_import",
    "program_page",
}  # fmt: skip
REPORTS = {"reports", "report_csv"}
ALLOWED = {
    "case_manager": CASE_WORK | REPORTS,
    "program_admin": ADMINISTRATION | REPORTS,
    "evaluator": REPORTS | {"evaluation_file"},  # the de-identified file: not case managers'
}
HOME = {"case_manager": "/admin/", "program_admin": "/admin/users", "evaluator": "/admin/reports"}


def _office_routes(app):
    for endpoint, url, method in _routes(app):
        if endpoint.startswith("admin."):
            yield endpoint.split(".", 1)[1], url, method


def test_every_office_route_is_given_to_a_duty(app):
    endpoints = {name for name, _, _ in _office_routes(app)}
    assert endpoints == CASE_WORK | ADMINISTRATION | REPORTS


@pytest.mark.parametrize("duty", sorted(ALLOWED))
def test_each_duty_passes_its_gates_and_no_other(app, client, login_as, f, duty):
    login_as(getattr(f, duty)())
    token = csrf_token(client, HOME[duty])
    for name, url, method in _office_routes(app):
        data = {"csrf_token": token} if method == "POST" else None
        status = client.open(url, method=method, data=data).status_code
        if name in ALLOWED[duty]:
            assert status != 403, (duty, name, method)
        else:
            assert status == 403, (duty, name, method, status)
        db.session.rollback()


@pytest.mark.parametrize("duty", ["program_admin", "evaluator"])
def test_only_case_managers_open_a_real_case(client, login_as, f, duty):
    case = f.CaseFactory(active=True)
    db.session.commit()
    login_as(getattr(f, duty)())
    assert client.get(f"/admin/cases/{case.id}").status_code == 403
    assert (
        client.get(f"/admin/cases/{case.id}/timeline", headers={"HX-Request": "true"}).status_code
        == 403
    )  # noqa: E501
    assert client.get("/admin/cases?q=" + case.referred_last_name).status_code == 403


def test_a_case_manager_opens_the_same_case(client, login_as, f):
    case = f.CaseFactory(active=True)
    db.session.commit()
    login_as(f.case_manager())
    assert client.get(f"/admin/cases/{case.id}").status_code == 200


def test_a_program_administrator_cannot_screen_through_the_service(f):
    case = f.CaseFactory()
    with pytest.raises(NotPermitted):
        cases.accept_referral(case, actor=f.program_admin(), version=case.version)
    db.session.expire_all()
    assert case.status == CaseStatus.REFERRED


@pytest.mark.parametrize("duty", sorted(HOME))
def test_each_duty_lands_on_its_first_page_and_sees_only_its_links(client, f, login_as, duty):
    user = getattr(f, duty)()
    login_as(user)
    page = client.get(HOME[duty]).get_data(as_text=True)
    links = {
        "Referral queue": "case_manager",
        "Compliance review": "case_manager",
        "Users": "program_admin",
        "Audit trail": "program_admin",
        "Settings": "program_admin",
    }
    for label, holder in links.items():
        assert (f">{label}" in page) == (duty == holder), (duty, label)
    assert ">Reports<" in page


def test_a_user_with_both_duties_sees_both_menus(client, f, login_as):
    login_as(f.admin())
    page = client.get("/admin/").get_data(as_text=True)
    assert ">Referral queue<" in page and ">Users<" in page and ">Audit trail<" in page


def test_the_reports_page_counts_cases_and_names_no_one(client, f, login_as):
    f.CaseFactory(active=True, referred_last_name="Zebulon")
    f.CaseFactory(referred_last_name="Quixote")
    db.session.commit()
    login_as(f.evaluator())
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "Zebulon" not in page and "Quixote" not in page
    total = db.session.scalar(select(db.func.count()).select_from(Case))
    assert f'All cases</th><td class="portal-number">{total:,}' in page


# --- the users form -------------------------------------------------------------------------


def _create(client, **overrides):
    token = csrf_token(client, "/admin/users/new")
    return client.post("/admin/users/new", data={"csrf_token": token, **user_data(**overrides)})


def test_an_administrator_creates_an_evaluator(client, f, login_as):
    login_as(f.program_admin())
    response = _create(
        client, role="staff", staff_roles=["reports"], badge_number="", email="ev@lead.example.org"
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ev@lead.example.org"))
    assert user.role == Role.STAFF and user.staff_roles == {StaffRole.REPORTS}


def test_office_staff_need_a_duty_and_others_hold_none(client, f, login_as):
    agency = f.AgencyFactory()
    login_as(f.program_admin())
    page = _create(client, role="staff", badge_number="").get_data(as_text=True)
    assert "Choose at least one duty for program office staff." in page
    page = _create(
        client, role="officer", agency_id=str(agency.id), staff_roles=["program_admin"]
    ).get_data(as_text=True)
    assert "Only program office staff hold these duties" in page
    page = _create(client, role="staff", staff_roles=["root"], badge_number="").get_data(
        as_text=True
    )
    assert "Choose duties from the list." in page
    assert db.session.scalar(select(User).where(User.email == "olive@fcso.example.org")) is None


def test_an_administrator_cannot_change_their_own_duties(client, f, login_as):
    me = f.admin()
    login_as(me)
    token = csrf_token(client, f"/admin/users/{me.id}")
    data = user_data(
        name=me.name, email=me.email, role="staff", staff_roles=["case_manager"], badge_number=""
    )
    data.update(csrf_token=token, active="y", password="", password_confirm="")
    page = client.post(f"/admin/users/{me.id}", data=data).get_data(as_text=True)
    assert "You cannot change your own duties" in page
    db.session.expire_all()
    assert me.staff_roles == {StaffRole.CASE_MANAGER, StaffRole.PROGRAM_ADMIN}


def test_changing_a_users_duties_is_audited_and_ends_their_sessions(client, f, login_as):
    colleague = f.case_manager()
    login_as(f.program_admin())
    token = csrf_token(client, f"/admin/users/{colleague.id}")
    data = user_data(
        name=colleague.name,
        email=colleague.email,
        role="staff",
        staff_roles=["case_manager", "reports"],
        badge_number="",
    )
    data.update(csrf_token=token, active="y", password="", password_confirm="")
    assert client.post(f"/admin/users/{colleague.id}", data=data).status_code == 302
    db.session.expire_all()
    assert colleague.staff_roles == {StaffRole.CASE_MANAGER, StaffRole.REPORTS}
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "users", AuditEvent.object_id == colleague.id
        )
    ).all()
    assert AuditAction.ROLE_CHANGE in actions


def test_the_users_list_filters_by_duty(client, f, login_as):
    f.evaluator(name="Eve Evaluator")
    f.case_manager(name="Cas Manager")
    login_as(f.program_admin())
    page = client.get("/admin/users?role=reports").get_data(as_text=True)
    assert "Eve Evaluator" in page and "Cas Manager" not in page
    assert "Reports (read only)" in page


def test_an_invited_evaluator_holds_the_reports_duty(client, f, login_as):
    login_as(f.program_admin())
    token = csrf_token(client, "/admin/users/invite")
    data = {
        "csrf_token": token,
        "name": "Eva Luator",
        "email": "eva@lead.example.org",
        "role": "staff",
        "staff_roles": ["reports"],
        "agency_id": "",
        "organization_id": "",
        "badge_number": "",
    }
    assert client.post("/admin/users/invite", data=data).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "eva@lead.example.org"))
    assert user.staff_roles == {StaffRole.REPORTS} and not user.active
