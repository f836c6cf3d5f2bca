"""/healthz proves the database can be read and written, and says which it cannot; a connection
that hit a read-only or I/O error is discarded, so the portal recovers once the cause is mended."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, event, select

from portal import create_app
from portal.clock import utcnow
from portal.database import is_read_only_error, is_storage_error
from portal.extensions import db
from portal.models import HealthCheck

READ_ONLY = {"status": "error", "database": "read-only"}


def test_healthz_commits_a_write_to_its_row(client):
    before = utcnow() - dt.timedelta(seconds=1)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    first = db.session.scalar(select(HealthCheck.checked_at))
    assert first >= before
    assert client.get("/healthz").status_code == 200
    assert db.session.scalar(select(HealthCheck.checked_at)) >= first
    assert len(db.session.scalars(select(HealthCheck)).all()) == 1  # one row, rewritten


def _read_only(dbapi_connection, _record=None) -> None:
    """This connection refuses writes from now on, as a read-only file (SQLite) or a read-only
    server (PostgreSQL) makes it; reads still work."""
    cursor = dbapi_connection.cursor()
    if db.engine.dialect.name == "sqlite":
        cursor.execute("PRAGMA query_only = ON")
    else:
        cursor.execute("SET SESSION default_transaction_read_only = on")
    cursor.close()
    if db.engine.dialect.name != "sqlite":
        dbapi_connection.commit()


@pytest.mark.real_commits  # the engine's own pooled connections, not the test's transaction
def test_a_read_only_database_is_reported_and_its_connections_discarded(client):
    db.session.remove()
    db.engine.dispose()
    event.listen(db.engine, "connect", _read_only)  # the database turns read-only
    try:
        for _ in range(2):
            response = client.get("/healthz")
            assert response.status_code == 503
            assert response.get_json() == READ_ONLY
    finally:
        event.remove(db.engine, "connect", _read_only)  # writable again
    # Without a restart: each connection that failed was thrown away, none is reused.
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.real_commits
def test_a_pooled_connection_that_turned_read_only_is_not_reused(client):
    """The issue's finding: a pooled connection kept failing after the file was writable again.
    It fails once (nothing tells a read-only connection apart before it writes), then it is
    discarded."""
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as connection:
        _read_only(connection.connection.dbapi_connection)  # back into the pool, read-only
    assert client.get("/healthz").get_json() == READ_ONLY
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_a_read_only_sqlite_file_is_reported(tmp_path, monkeypatch):
    """A file SQLite can open only for reading (as root, chmod does not bite: `mode=ro`)."""
    path = tmp_path / "portal.db"
    setup = create_engine(f"sqlite:///{path}")
    HealthCheck.__table__.create(setup)
    setup.dispose()
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "unit-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{path}?mode=ro&uri=true",
        }
    )
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == READ_ONLY


class _SQLiteError(Exception):
    def __init__(self, name: str):
        self.sqlite_errorname = name


class _PostgresError(Exception):
    def __init__(self, sqlstate: str):
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "read_only", "storage"),
    [
        (_SQLiteError("SQLITE_READONLY"), True, True),
        (_SQLiteError("SQLITE_READONLY_DBMOVED"), True, True),
        (_SQLiteError("SQLITE_IOERR_WRITE"), False, True),
        (_SQLiteError("SQLITE_BUSY"), False, False),
        (_SQLiteError("SQLITE_CONSTRAINT_UNIQUE"), False, False),
        (_PostgresError("25006"), True, True),  # read_only_sql_transaction
        (_PostgresError("58030"), False, True),  # io_error
        (_PostgresError("23505"), False, False),  # unique_violation
        (None, False, False),
    ],
)
def test_which_errors_discard_a_connection(error, read_only, storage):
    assert is_read_only_error(error) is read_only
    assert is_storage_error(error) is storage
