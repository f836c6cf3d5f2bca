"""Fixtures: one app and schema per run (built by the migrations), each test rolled back.

Each test runs inside one transaction on one connection, rolled back at the end (Warehouse's
pattern): every session, the test's and each request's, joins it with a savepoint, so a commit
in a view is a savepoint release and nothing outlives the test. Tests that need real commits
(threads, a second connection, engine behaviour) are marked `real_commits`, as is everything
under `integrity/`; the tables are emptied after them instead.

TEST_DATABASE_URL points the suite at PostgreSQL; without it a SQLite file in a temp dir is used.
"""

from __future__ import annotations

import importlib.util
import os
import re

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session
from sqlalchemy import Connection, text

from portal import create_app
from portal.extensions import db
from portal.models import ComplianceRule, ProgramSettings
from portal.services.compliance import default_rules
from portal.services.settings import default_settings
from tests import factories
from tests.factories import PASSWORD

# The browser story needs the `e2e` extra (Playwright); without it, `make test` leaves it out.
collect_ignore = [] if importlib.util.find_spec("playwright") else ["e2e"]

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "RAISE_ON_LAZY_LOAD": True,
            "PAGE_SIZE": 5,
            # The sign-in limits are tested on apps of their own (test_rate_limits.py).
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()  # the schema comes from the migrations, never from create_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(db.metadata.sorted_tables)
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as conn:
            # The audit table refuses DELETE (its triggers); TRUNCATE, as on PostgreSQL, would
            # pass them: lift them for the emptying only, and put back exactly what was there.
            triggers = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for table in reversed(tables):
                conn.execute(table.delete())
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)


def reset_settings() -> None:
    """Put back the program settings row and the program's rules the migrations create
    (emptying the tables took them).

    As the migrations do, outside the ORM: no audit row for them outlives the test.
    """
    defaults = default_settings()
    table = ProgramSettings.__table__
    values = {c.key: getattr(defaults, c.key) for c in table.columns if c.key != "id"}
    with db.engine.begin() as conn:
        conn.execute(table.insert().values({k: v for k, v in values.items() if v is not None}))
        conn.execute(ComplianceRule.__table__.insert(), default_rules())
    db.session.remove()


class _JoinedSession(Session):
    """A session of the test app on the test's connection: its transactions are savepoints.

    Flask-SQLAlchemy's `get_bind` always answers the app's engine and ignores `bind=`; another
    app built by a test (its own engine) keeps its own database.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        joined = self.bind
        if bind is None and isinstance(joined, Connection) and joined.engine is self._db.engine:
            return joined
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@pytest.fixture
def real_commits(request) -> bool:
    """Whether the test commits for real (tables emptied after it) instead of being rolled back."""
    return request.node.get_closest_marker("real_commits") is not None


@pytest.fixture(autouse=True)
def _app_context(app, real_commits):
    with app.app_context():
        if real_commits:
            yield
            db.session.remove()
            _empty_tables()
            reset_settings()
            return
        connection = db.engine.connect()
        outer = connection.begin()
        if connection.dialect.name == "sqlite":
            # pysqlite defers BEGIN until the first write, and a SAVEPOINT outside a transaction
            # would open (and its RELEASE commit) one of its own: open the transaction now.
            connection.exec_driver_sql("BEGIN")
        # Every app context (the test's, each request's) gets its own session on this connection.
        joined = db._make_scoped_session(
            {
                "class_": _JoinedSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        # Not the `monkeypatch` fixture: a test's `monkeypatch.undo()` would undo this too.
        production, db.session = db.session, joined
        try:
            yield
        finally:
            db.session = production
            joined.remove()
            outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (fresh `g` and DB session), as in production.

    What the test set up is committed first, and the test's objects are expired afterwards,
    so assertions read what the request really stored.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def login(client, user, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def login_as(client):
    """Sign the test client in as `user`, then commit what the test set up so far."""

    def _login(user):
        db.session.commit()
        login(client, user)
        return client

    return _login


def post(client, url: str, data: dict | None = None, page: str | None = None, htmx=False, **kw):
    """POST with the session's CSRF token, as the page at `page` (default: url) would send it."""
    token = csrf_token(client, page or url)
    headers = kw.pop("headers", {})
    if htmx:
        headers = {"HX-Request": "true", "X-CSRFToken": token, **headers}
    return client.post(url, data={"csrf_token": token, **(data or {})}, headers=headers, **kw)


@pytest.fixture
def f():
    """The factories, bound to the test's session."""
    return factories
