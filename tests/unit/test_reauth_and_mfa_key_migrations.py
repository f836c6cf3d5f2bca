"""The migrations of re-authentication and encrypted authenticators: secrets encrypted on the
way up with the app's key, the plain secrets back on the way down; sessions' time of the last
check. SQLite, and PostgreSQL when the suite runs there."""

from __future__ import annotations

import pyotp
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal import encryption
from portal.extensions import db
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

BEFORE = "hd1b2c3d4e5f"
AFTER = "ra1a2b3c4d5e"
SESSIONS = "ra2b3c4d5e6f"


def _secrets() -> list[str]:
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT secret FROM mfa_credentials ORDER BY user_id")
            ).scalars()
        )


def test_secrets_are_encrypted_on_upgrade_and_decrypted_on_downgrade(fresh_app):  # noqa: F811
    upgrade(revision=BEFORE)
    plain = [pyotp.random_base32(), pyotp.random_base32()]
    with db.engine.begin() as connection:
        for n, secret in enumerate(plain):
            user_id = connection.execute(
                text(
                    "INSERT INTO users (email, name, role, password_hash, active, failed_logins,"
                    " created_at) VALUES (:email, 'A', 'admin', 'x', true, 0, CURRENT_TIMESTAMP)"
                    " RETURNING id"
                ),
                {"email": f"a{n}@example.org"},
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO mfa_credentials (user_id, secret, confirmed_at, failed_codes,"
                    " created_at) VALUES (:id, :secret, CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)"
                ),
                {"id": user_id, "secret": secret},
            )

    key = Fernet.generate_key()
    fresh_app.config["MFA_ENCRYPTION_KEY"] = key.decode()  # the app's configured key
    upgrade(revision=AFTER)
    stored = _secrets()
    assert all(s not in token for s, token in zip(plain, stored, strict=True))
    assert [Fernet(key).decrypt(token.encode()).decode() for token in stored] == plain
    assert [encryption.decrypt(token) for token in stored] == plain

    downgrade(revision=BEFORE)
    assert _secrets() == plain


def test_sessions_take_their_sign_in_time_as_their_last_check_and_lose_it_on_downgrade(
    fresh_app,  # noqa: F811
):
    upgrade(revision=AFTER)
    with db.engine.begin() as connection:
        user_id = connection.execute(
            text(
                "INSERT INTO users (email, name, role, reports, password_hash, active,"
                " failed_logins, created_at) VALUES ('s@example.org', 'S', 'staff', true, 'x',"
                " true, 0, CURRENT_TIMESTAMP) RETURNING id"
            )
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO user_sessions (user_id, token_hash, created_at, last_seen_at,"
                " expires_at) VALUES (:id, 'h', '2030-01-07 09:00:00', '2030-01-07 10:00:00',"
                " '2030-01-07 21:00:00')"
            ),
            {"id": user_id},
        )
    upgrade(revision=SESSIONS)
    with db.engine.connect() as connection:
        checked = connection.execute(text("SELECT authenticated_at FROM user_sessions")).scalar()
    assert str(checked).startswith("2030-01-07 09:00:00")
    downgrade(revision=AFTER)
    assert "authenticated_at" not in {
        c["name"] for c in inspect(db.engine).get_columns("user_sessions")
    }
