"""Authenticators' secrets are stored encrypted (Fernet), with the configured key or, outside
production, one derived from SECRET_KEY; a key can be replaced while the old one still reads."""

from __future__ import annotations

import pytest
import time_machine
from cryptography.fernet import Fernet
from sqlalchemy import text

from portal import encryption
from portal.extensions import db
from portal.services import mfa
from tests.mfa import NOW, code, enrol


def _stored(user) -> str:
    db.session.flush()
    return db.session.execute(
        text("SELECT secret FROM mfa_credentials WHERE user_id = :id"), {"id": user.id}
    ).scalar_one()


def test_the_stored_secret_is_a_token_of_the_secret_not_the_secret(f):
    user = f.officer()
    with time_machine.travel(NOW, tick=False):
        secret, _ = enrol(user)
        stored = _stored(user)
        assert secret not in stored and secret.lower() not in stored.lower()
        assert encryption.decrypt(stored) == secret
        # The code is checked against the decrypted secret.
        assert mfa.check_sign_in_code(user, code(secret)) is mfa.CodeCheck.ACCEPTED


def test_each_encryption_differs_and_the_derived_key_follows_the_secret_key(app):
    first, second = encryption.encrypt("JBSWY3DPEHPK3PXP"), encryption.encrypt("JBSWY3DPEHPK3PXP")
    assert first != second  # a fresh nonce each time: equal secrets do not look equal
    assert encryption.derived_key("one") == encryption.derived_key("one")
    assert encryption.derived_key("one") != encryption.derived_key("two")
    other = {"SECRET_KEY": "another-secret", "MFA_ENCRYPTION_KEY": None}
    with pytest.raises(encryption.SecretUnreadable):
        encryption.decrypt(first, other)


def test_a_configured_key_is_used_and_an_old_one_still_reads(app):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = {"SECRET_KEY": app.config["SECRET_KEY"], "MFA_ENCRYPTION_KEY": old}
    token = encryption.encrypt("JBSWY3DPEHPK3PXP", before)
    assert Fernet(old.encode()).decrypt(token.encode()) == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(encryption.SecretUnreadable):
        encryption.decrypt(token)  # the derived key is not the configured one
    rotated = {**before, "MFA_ENCRYPTION_KEY": f"{new},{old}"}
    assert encryption.decrypt(token, rotated) == "JBSWY3DPEHPK3PXP"
    fresh = encryption.encrypt("JBSWY3DPEHPK3PXP", rotated)
    assert Fernet(new.encode()).decrypt(fresh.encode()) == b"JBSWY3DPEHPK3PXP"
