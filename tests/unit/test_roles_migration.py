"""The roles split migration: administrators keep what they could do, and a downgrade never
gives anyone more than they had.

Run on a fresh SQLite file, and on PostgreSQL too when the suite runs there (the fixture of the
exit migration's test: a schema of its own, dropped afterwards).
"""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

BEFORE = "hd1b2c3d4e5f"
AFTER = "rl1a2b3c4d5e"


def _users() -> dict[str, tuple]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM users")).mappings().all()
    return {row["email"]: row for row in rows}


def test_administrators_become_case_managers_and_program_administrators(fresh_app):  # noqa: F811
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        for email in ("a@example.org", "b@example.org"):
            connection.execute(
                text(
                    "INSERT INTO users (email, name, role, password_hash, active, failed_logins,"
                    " must_change_password, created_at)"
                    " VALUES (:email, 'A', 'admin', 'x', true, 0, false, CURRENT_TIMESTAMP)"
                ),
                {"email": email},
            )
    upgrade(revision=AFTER)
    users = _users()
    for email in ("a@example.org", "b@example.org"):
        row = users[email]
        assert row["role"] == "staff"
        assert (bool(row["case_manager"]), bool(row["program_admin"]), bool(row["reports"])) == (
            True,
            True,
            False,
        )
    # An evaluator added after the split must not become an administrator on the way back.
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE users SET program_admin = false, case_manager = false, reports = true"
                " WHERE email = 'b@example.org'"
            )
        )
    downgrade(revision=BEFORE)
    users = _users()
    assert "case_manager" not in users["a@example.org"]
    assert (users["a@example.org"]["role"], bool(users["a@example.org"]["active"])) == (
        "admin",
        True,
    )
    assert (users["b@example.org"]["role"], bool(users["b@example.org"]["active"])) == (
        "admin",
        False,
    )
    upgrade(revision=AFTER)
    assert _users()["a@example.org"]["role"] == "staff"
