"""A database outage: the portal's own 503 page, drawn without the database, and logs that
carry no text from the database driver."""

from __future__ import annotations

import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from portal import create_app
from portal.extensions import db
from tests.conftest import csrf_token

HTMX = {"HX-Request": "true"}
# What a driver's message could quote: a statement's parameters, a host, a user name.
DRIVER_TEXT = "Ann Smith 1990-01-02 password authentication failed for user lead_prod"


@pytest.fixture
def outage(app):
    """From now on every new connection fails as the driver fails when the server is down."""
    engine = db.engine
    driver_error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args, **_kwargs):
        raise driver_error(DRIVER_TEXT)

    db.session.remove()
    engine.dispose()  # pooled connections go: the next checkout connects, and fails
    event.listen(engine, "do_connect", refuse)
    yield
    event.remove(engine, "do_connect", refuse)
    engine.dispose()


def _is_the_outage_page(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in html
    assert "uswds.min.css" in html and 'class="portal-header"' in html  # the portal's look
    assert DRIVER_TEXT not in html and "Traceback" not in html


def _no_driver_text(caplog) -> None:
    assert "Database unavailable" in caplog.text
    assert "OperationalError" in caplog.text
    assert "Ann Smith" not in caplog.text
    assert "lead_prod" not in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.real_commits  # the outage is the engine's: no test transaction holds a connection
def test_signed_in_pages_and_htmx_get_503_without_the_database(
    client, login_as, f, caplog, request
):
    officer = f.officer()
    login_as(officer)
    name = officer.name
    assert client.get("/officer/referrals").status_code == 200
    request.getfixturevalue("outage")  # the server goes down while the officer is signed in
    caplog.clear()
    with caplog.at_level(logging.INFO):
        page = client.get("/officer/referrals")
        fragment = client.get("/officer/referrals", headers=HTMX)
    _is_the_outage_page(page)
    # Drawn without reading the user: no name, no menus.
    assert name not in page.get_data(as_text=True)
    assert "Sign out" not in page.get_data(as_text=True)
    _is_the_outage_page(fragment)
    assert fragment.get_data(as_text=True) == page.get_data(as_text=True)
    _no_driver_text(caplog)
    assert "GET /officer/referrals" in caplog.text
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 2  # one line each


@pytest.mark.real_commits
def test_signing_in_during_an_outage_gets_the_503_page(client, f, caplog, request):
    email = f.officer().email
    db.session.commit()
    token = csrf_token(client, "/login")  # the sign-in page itself needs no database
    request.getfixturevalue("outage")
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/login", data={"email": email, "password": "x" * 12, "csrf_token": token}
        )
    _is_the_outage_page(response)
    _no_driver_text(caplog)


def test_a_real_driver_refusing_the_connection_gets_the_503_page(monkeypatch, caplog):
    """psycopg itself, against a port where nothing listens (no PostgreSQL server needed)."""
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    closed = "postgresql+psycopg://lead_prod:secret@127.0.0.1:9/lead?connect_timeout=2"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "unit-test", "SQLALCHEMY_DATABASE_URI": closed}
    )
    app.config["RATELIMIT_ENABLED"] = False
    client = app.test_client()
    token = csrf_token(client, "/login")
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/login",
            data={"email": "ann@example.org", "password": "x" * 12, "csrf_token": token},
        )
    with app.app_context():
        db.engine.dispose()
    _is_the_outage_page(response)
    assert "psycopg.OperationalError" in caplog.text
    for driver_words in ("127.0.0.1", "lead_prod", "secret", "refused"):
        assert driver_words not in caplog.text


GUNICORN_LOGGING = """
import logging, runpy
from gunicorn.config import Config

cfg = Config()
for name, value in runpy.run_path("gunicorn.conf.py").items():
    if name in cfg.settings:
        cfg.set(name, value)
log = cfg.logger_class(cfg)
try:
    raise RuntimeError("Ann Smith, born 1990-01-02")
except RuntimeError:
    log.exception("Error handling request %s", "/officer/referrals")
try:
    raise ValueError("disclosed heroin use")
except ValueError:
    logging.getLogger("sqlalchemy.pool").error("Exception during reset", exc_info=True)
"""


def test_gunicorns_error_log_prints_no_exception_text():
    """Should an error ever reach gunicorn, its log shows where and what type, not the text."""
    root = Path(__file__).resolve().parents[2]
    assert runpy.run_path(str(root / "gunicorn.conf.py"))["logger_class"]
    result = subprocess.run(  # noqa: S603 (our interpreter, a fixed script)
        [sys.executable, "-c", GUNICORN_LOGGING],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=True,
    )
    log = result.stderr
    assert "Error handling request /officer/referrals" in log
    assert "builtins.RuntimeError (message not logged)" in log
    assert "Exception during reset" in log
    assert "builtins.ValueError (message not logged)" in log
    assert 'File "<string>"' in log  # the frames stay: where it happened
    assert "Ann Smith" not in log and "heroin" not in log
