"""Access denied by default: role gates, out-of-scope cases, anonymous users, every route."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter

from portal.extensions import db
from portal.models import Agency, CaseStatus
from tests.conftest import csrf_token

HTMX = {"HX-Request": "true"}
# The landing page is the public program page for visitors (signed-in users go to their home);
# robots.txt says search engines may read it and nothing else.
PUBLIC = {"static", "auth.login", "auth.invitation", "web.healthz", "web.index", "web.robots"}


# --- object scope -------------------------------------------------------------------------


def test_officer_gets_404_on_another_agencys_case(client, login_as, f):
    mine, theirs = f.officer(), f.officer()
    assert mine.agency_id != theirs.agency_id
    foreign = f.CaseFactory(officer=theirs)
    login_as(mine)

    assert client.get(f"/officer/referrals/{foreign.id}").status_code == 404
    assert client.get(f"/officer/referrals/{foreign.id}/timeline", headers=HTMX).status_code == 404
    # The same answer as for a case that does not exist: existence is not revealed.
    assert client.get(f"/officer/referrals/{foreign.id + 1000}").status_code == 404


def test_officer_sees_a_colleagues_case_only_when_a_consent_names_their_agency(client, login_as, f):
    me = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, me.agency_id))
    case = f.CaseFactory(officer=colleague, active=True)
    login_as(me)
    assert client.get(f"/officer/referrals/{case.id}").status_code == 404
    assert client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX).status_code == 404
    f.ConsentFactory(case=case)
    assert client.get(f"/officer/referrals/{case.id}").status_code == 200
    assert client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX).status_code == 200


# --- role gates ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/", "/admin/cases", "/officer/referrals"])
def test_provider_is_refused_admin_and_officer_pages(client, login_as, f, url):
    login_as(f.provider())
    response = client.get(url)
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/", "/admin/cases", "/provider/"])
def test_officer_is_refused_admin_and_provider_pages(client, login_as, f, url):
    login_as(f.officer())
    assert client.get(url).status_code == 403


def test_officer_cannot_screen_even_their_own_referral(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer)
    login_as(officer)
    token = csrf_token(client, "/officer/referrals")
    response = client.post(
        f"/admin/cases/{case.id}/accept", data={"csrf_token": token, "version": case.version}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert case.status == CaseStatus.REFERRED


def test_admin_is_refused_officer_and_provider_pages(client, login_as, f):
    login_as(f.admin())
    assert client.get("/officer/referrals").status_code == 403
    assert client.get("/provider/").status_code == 403


# --- anonymous ----------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/officer/referrals?status=accepted")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/officer/referrals?status%3Daccepted"


def test_landing_page_shows_anonymous_users_the_program_with_a_sign_in_link(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/login"' in response.get_data(as_text=True)


def test_anonymous_htmx_request_gets_401_with_hx_redirect(client):
    response = client.get("/admin/", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/admin/")
    assert "Location" not in response.headers


def test_an_expired_session_on_an_htmx_post_returns_to_the_page_not_the_action(client):
    token = csrf_token(client, "/login")
    headers = {**HTMX, "HX-Current-URL": "http://localhost/admin/cases/7?tab=1"}
    response = client.post("/admin/cases/7/accept", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/admin/cases/7?tab%3D1"


def test_an_anonymous_form_post_goes_to_plain_sign_in(client):
    token = csrf_token(client, "/login")
    response = client.post("/admin/cases/7/accept", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    foreign = {**HTMX, "HX-Current-URL": "https://evil.example/admin/"}
    response = client.post("/admin/cases/7/accept", data={"csrf_token": token}, headers=foreign)
    assert response.headers["HX-Redirect"] == "/login"


def _example(rule, argument: str):
    converter = rule._converters[argument]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return 1


def _routes(app):
    """Every non-public rule as a concrete URL (ids filled with 1), with its methods."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        values = {argument: _example(rule, argument) for argument in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = adapter.build(rule.endpoint, values, method=method)
            yield rule.endpoint, url, method


def test_the_matrix_covers_every_role_blueprint(app):
    endpoints = {endpoint for endpoint, _, _ in _routes(app)}
    for prefix in ("officer.", "admin.", "provider."):
        assert any(e.startswith(prefix) for e in endpoints), prefix
    assert "auth.login" not in endpoints


def test_every_non_public_route_refuses_anonymous_users(app, client):
    token = csrf_token(client, "/login")  # a real token: the refusal must come from the gate
    checked = 0
    for endpoint, url, method in _routes(app):
        data = {"csrf_token": token} if method == "POST" else None
        page = client.open(url, method=method, data=data)
        assert page.status_code == 302, (endpoint, method, page.status_code)
        assert page.headers["Location"].startswith("/login"), (endpoint, method)
        fragment = client.open(url, method=method, data=data, headers=HTMX)
        assert fragment.status_code == 401, (endpoint, method, fragment.status_code)
        assert fragment.headers["HX-Redirect"].startswith("/login"), (endpoint, method)
        checked += 1
    assert checked >= 10


ROLE_BLUEPRINTS = {"officer", "admin", "provider"}
HOME = {"officer": "/officer/referrals", "provider": "/provider/", "admin": "/admin/"}


@pytest.mark.parametrize("role", ["officer", "provider", "admin"])
def test_every_role_route_refuses_the_other_roles(app, client, login_as, f, role):
    login_as(getattr(f, role)())
    token = csrf_token(client, HOME[role])
    checked = 0
    for endpoint, url, method in _routes(app):
        blueprint = endpoint.split(".", 1)[0]
        if blueprint not in ROLE_BLUEPRINTS or blueprint == role:
            continue
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (role, endpoint, method, response.status_code)
        checked += 1
    assert checked >= 3
