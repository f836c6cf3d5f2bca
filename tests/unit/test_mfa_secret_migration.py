"""The migration that encrypts authenticators' secrets: encrypted on the way up with the app's
key, the plain secrets back on the way down (SQLite, and PostgreSQL when the suite runs there)."""

from __future__ import annotations

import pyotp
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal import encryption
from portal.extensions import db
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

BEFORE = "hd1b2c3d4e5f"
AFTER = "ra1a2b3c4d5e"


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
