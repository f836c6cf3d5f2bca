"""The application shell: health check, error pages, security headers, strict-CSP markup."""

from __future__ import annotations

import logging
import re

import pytest
from cryptography.fernet import Fernet
from flask import abort

from portal import create_app
from portal.config import load_settings
from portal.extensions import db
from portal.models import CaseStatus
from portal.services.settings import get_settings
from tests.conftest import csrf_token, login, post

HTMX = {"HX-Request": "true"}
PERSONAL = "Ann Smith, born 1990-01-02, disclosed heroin use"


def _other_app(tmp_path, monkeypatch, **config):
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    return create_app({"TESTING": True, "SECRET_KEY": "unit-test", **config})


# --- health -------------------------------------------------------------------------------


def test_healthz_ok_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path, monkeypatch):
    unreachable = f"sqlite:///{tmp_path}/no-such-dir/portal.db"
    broken = _other_app(tmp_path, monkeypatch, SQLALCHEMY_DATABASE_URI=unreachable)
    with broken.app_context():
        response = broken.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


# --- error pages --------------------------------------------------------------------------


@pytest.fixture
def failing_app(tmp_path, monkeypatch):
    app = _other_app(
        tmp_path,
        monkeypatch,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/portal.db",
        PROPAGATE_EXCEPTIONS=False,
    )

    @app.get("/test/unprocessable")
    def unprocessable():
        abort(422)

    @app.get("/test/crash")
    def crash():
        raise RuntimeError(PERSONAL)  # as an error message quoting a row's values would

    yield app
    with app.app_context():
        db.engine.dispose()


def _looks_like_the_portal(html: str) -> None:
    assert "uswds.min.css" in html
    assert 'class="portal-header"' in html
    assert "Go to your home page" in html


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    _looks_like_the_portal(html)
    assert "Not found" in html


def test_403_page(client, login_as, f):
    login_as(f.provider())
    response = client.get("/admin/")
    assert response.status_code == 403
    _looks_like_the_portal(response.get_data(as_text=True))


def test_422_and_500_pages(failing_app, caplog):
    client = failing_app.test_client()
    response = client.get("/test/unprocessable")
    assert response.status_code == 422
    _looks_like_the_portal(response.get_data(as_text=True))
    assert "Check your entry" in response.get_data(as_text=True)

    with caplog.at_level(logging.ERROR):
        response = client.get("/test/crash")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    _looks_like_the_portal(html)
    assert "Something went wrong" in html
    assert "Traceback" not in html
    assert "Ann Smith" not in html
    # The error is logged (type and place) but never its message, which may hold personal data.
    assert "RuntimeError" in caplog.text
    assert "/test/crash" in caplog.text
    assert "Ann Smith" not in caplog.text
    assert "heroin" not in caplog.text


def test_405_page(client):
    response = client.put("/login")
    assert response.status_code == 405
    _looks_like_the_portal(response.get_data(as_text=True))


# --- security headers ---------------------------------------------------------------------


def test_pages_carry_a_strict_csp_and_no_store(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"  # no <base> can redirect relative URLs
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    # A window this page opens (or that opened it) gets no handle on it.
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only when cookies are secure


def test_production_cookies_carry_the_host_prefix(app, client, monkeypatch, tmp_path):
    """`__Host-`: set over HTTPS only, for this host and path `/`, so a sibling subdomain
    cannot plant or overwrite the session cookie."""
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("MFA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("EVALUATION_ID_KEY", "an-evaluation-key-of-32-characters")
    settings = load_settings(tmp_path)
    for key in (
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_PATH",
        "SESSION_COOKIE_DOMAIN",
        "REMEMBER_COOKIE_NAME",
        "REMEMBER_COOKIE_SECURE",
        "REMEMBER_COOKIE_PATH",
        "REMEMBER_COOKIE_DOMAIN",
    ):
        monkeypatch.setitem(app.config, key, settings.get(key))
    assert settings["SESSION_COOKIE_NAME"] == "__Host-session"
    assert settings["REMEMBER_COOKIE_NAME"] == "__Host-remember_token"
    cookie = client.get("/login", base_url="https://localhost").headers["Set-Cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("__Host-session=")
    assert "Secure" in attributes and "Path=/" in attributes and "HttpOnly" in attributes
    assert not any(part.lower().startswith("domain=") for part in attributes)


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_json_and_error_answers_are_not_stored_either(client):
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"
    assert client.get("/nope").headers["Cache-Control"] == "no-store"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline script"),
    (re.compile(r"<style\b", re.I), "style element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"\shx-on", re.I), "hx-on attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _assert_csp_clean(html: str, where: str) -> None:
    for pattern, what in INLINE:
        match = pattern.search(html)
        assert not match, f"{what} on {where}: {match.group(0) if match else ''}"


def test_no_page_needs_unsafe_inline(client, f):
    officer, admin, provider = f.officer(), f.admin(), f.provider()
    referred = f.CaseFactory(officer=officer)
    accepted = f.CaseFactory(officer=officer, status=CaseStatus.ACCEPTED)
    declined = f.CaseFactory(officer=officer, status=CaseStatus.DECLINED)
    get_settings()
    db.session.commit()

    _assert_csp_clean(client.get("/login").get_data(as_text=True), "/login")
    login(client, officer)
    pages = ["/officer/referrals", "/officer/referrals/new", f"/officer/referrals/{referred.id}"]
    for url in pages:
        _assert_csp_clean(client.get(url).get_data(as_text=True), url)
    bad = post(client, "/officer/referrals/new", {"first_name": "", "dob": "x"})
    _assert_csp_clean(bad.get_data(as_text=True), "referral form with errors")
    client.post("/logout", data={"csrf_token": _token(client)})

    login(client, admin)
    for case in (referred, accepted, declined):
        url = f"/admin/cases/{case.id}"
        _assert_csp_clean(client.get(url).get_data(as_text=True), url)
        _assert_csp_clean(client.get(f"{url}/timeline", headers=HTMX).get_data(as_text=True), url)
    for url in ["/admin/", "/admin/cases", "/nope"]:
        _assert_csp_clean(client.get(url).get_data(as_text=True), url)
    client.post("/logout", data={"csrf_token": _token(client)})

    login(client, provider)
    _assert_csp_clean(client.get("/provider/").get_data(as_text=True), "/provider/")


def _token(client) -> str:
    return csrf_token(client, "/nope")  # every page, even an error page, carries the token
