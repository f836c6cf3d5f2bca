"""The must-change migration: existing users are not marked, and it goes back cleanly.

Run on a fresh SQLite file, and on PostgreSQL too when the suite runs there (the fixture of the
exit migration's test: a schema of its own, dropped afterwards).
"""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.extensions import db
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

BEFORE = "n9a1b2c3d4e5"
AFTER = "hc1a2b3c4d5e"


def _columns() -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("users")}


def test_existing_users_are_not_marked_and_the_column_goes_back(fresh_app):  # noqa: F811
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, name, role, password_hash, session_token, active,"
                " failed_logins, created_at) VALUES ('a@example.org', 'A', 'admin', 'x', 't',"
                " true, 0, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(revision=AFTER)
    assert "must_change_password" in _columns()
    with db.engine.connect() as connection:
        marked = connection.execute(text("SELECT must_change_password FROM users")).scalar_one()
    assert marked is not None and not marked
    downgrade(revision=BEFORE)
    assert "must_change_password" not in _columns()
