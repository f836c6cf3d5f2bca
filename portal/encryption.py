"""Secrets the portal must read back (authenticators' TOTP secrets), encrypted at rest.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) with the key MFA_ENCRYPTION_KEY:
a copy of the database alone reveals no authenticator. The setting may list several keys,
comma-separated: the first encrypts, every one decrypts, so a key is replaced by putting the
new one first and keeping the old one until each secret was written again. Outside production
the key may be left unset: it is then derived from SECRET_KEY (HKDF-SHA256), so development and
tests need no extra setting; production refuses to start without one (portal/config.py).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# Names this use of SECRET_KEY, so the derived key is no other key made from it.
DERIVATION_INFO = b"lead-portal mfa secrets v1"


class SecretUnreadable(RuntimeError):
    """A stored secret does not decrypt with any configured key (a wrong or missing key)."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY (development and tests only)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def parse_keys(value: str) -> list[bytes]:
    """The keys of a MFA_ENCRYPTION_KEY setting (ValueError when one is not a Fernet key)."""
    keys = [part.strip().encode() for part in value.split(",") if part.strip()]
    if not keys:
        raise ValueError("no key")
    for key in keys:
        Fernet(key)  # raises ValueError for anything but 32 url-safe base64-encoded bytes
    return keys


def cipher(config: Mapping | None = None) -> MultiFernet:
    """The cipher of an app's settings (by default the current app's)."""
    config = current_app.config if config is None else config
    setting = config.get("MFA_ENCRYPTION_KEY")
    keys = parse_keys(setting) if setting else [derived_key(config["SECRET_KEY"])]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plaintext: str, config: Mapping | None = None) -> str:
    return cipher(config).encrypt(plaintext.encode()).decode()


def decrypt(token: str, config: Mapping | None = None) -> str:
    try:
        return cipher(config).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored authenticator secret does not decrypt with MFA_ENCRYPTION_KEY."
        ) from None
