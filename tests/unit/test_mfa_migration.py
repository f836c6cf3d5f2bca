"""The MFA migration recreates the audit trail's action check and keeps it append-only, both
ways; a downgrade keeps MFA audit rows under the nearest older action."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from portal import create_app
from portal.extensions import db

BEFORE = "n9a1b2c3d4e5"
INSERT = text("INSERT INTO audit_events (at, action, outcome) VALUES (:at, :action, :outcome)")


def _engines() -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return ["sqlite", "postgresql"] if url.startswith("postgresql") else ["sqlite"]


@pytest.fixture(params=_engines())
def fresh_app(request, tmp_path, monkeypatch):
    """An app over an empty database of its own, to run the migrations from scratch."""
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    config = {"TESTING": True}
    schema = None
    if request.param == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/m.db"
    else:
        url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        schema = f"migration_{uuid.uuid4().hex[:12]}"
        config["SQLALCHEMY_DATABASE_URI"] = url
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={schema}"}
        }
    app = create_app(config)
    with app.app_context():
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield app
        finally:
            db.session.remove()
            if schema:
                with db.engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            db.engine.dispose()


def _insert(action: str) -> None:
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with db.engine.begin() as connection:
        connection.execute(INSERT, {"at": at, "action": action, "outcome": "ok"})


def _actions() -> list[tuple[str, str | None]]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT action, object_type FROM audit_events ORDER BY id"))
        return [tuple(row) for row in rows]


def _refuses_update() -> bool:
    try:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET role = 'x'"))
    except DatabaseError:
        return True
    return False


def test_mfa_actions_come_and_go_with_the_trail_still_append_only(fresh_app):
    upgrade(revision=BEFORE)
    with pytest.raises(DatabaseError):
        _insert("mfa_enrol")  # not an action yet
    _insert("sign_in")

    upgrade()
    for action in ("mfa_enrol", "mfa_verified", "mfa_failed", "mfa_reset"):
        _insert(action)
    assert _refuses_update()

    db.session.remove()
    downgrade(revision=BEFORE)
    assert _actions() == [
        ("sign_in", None),
        ("change", "mfa"),
        ("sign_in", "mfa"),
        ("sign_in_failed", "mfa"),
        ("change", "mfa"),
    ]
    assert _refuses_update()
    with pytest.raises(DatabaseError):
        _insert("mfa_reset")

    db.session.remove()
    upgrade()
    _insert("mfa_reset")
    assert _refuses_update()
    assert len(_actions()) == 6
