"""argon2id password hashing (argon2-cffi's defaults are RFC 9106's low-memory profile) and the
password rule (NIST SP 800-63B, OWASP ASVS 2.1): 12 to 128 characters, no composition rules,
refused when common or breached, when it is the published demo password, or when it holds the
person's name or e-mail address.

A password is never logged, audited or kept: only its hash is stored.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 12
MAX_LENGTH = 128
# The demo's password is published in the README and printed by `flask demo`: refused for every
# account created or changed through the portal (the demo seed sets it directly).
DEMO_PASSWORD = "lead-demo-2026"  # noqa: S105 - published demo credential, demo data only
# Parts of a name or an e-mail's local part shorter than this are too common inside other
# words ("ann" in "mannequin") to refuse on.
MIN_CONTEXT_PART = 4

COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"  # see portal/data/README.md
RULE_HINT = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters; a few unrelated words make a good one. Common "
    "passwords, and ones holding the person's name or email address, are refused."
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common and breached passwords, lowercased; read once per process."""
    data = resources.files("portal").joinpath("data", COMMON_PASSWORDS_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line.lower() for line in lines if line)


def is_common(password: str) -> bool:
    """Whether the password (in any letter case) is on the bundled list."""
    return password.lower() in common_passwords()


def _context_words(email: str, name: str) -> set[str]:
    """What a person's own password must not contain: their e-mail's local part and the words
    of it and of their name."""
    local = email.strip().lower().partition("@")[0]
    words = {local, *re.split(r"[\W_]+", local), *re.split(r"[\W_]+", name.lower())}
    return {word for word in words if len(word) >= MIN_CONTEXT_PART}


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused, or None when it is acceptable (`email` and `name` are the
    account's, for the context check)."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.lower() == DEMO_PASSWORD:
        return "This is the demo's published password. Choose another."
    if len(set(password)) < 4:
        return "Use a less repetitive password."
    if is_common(password):
        return "This password is on a list of common or breached passwords. Choose another."
    lowered = password.lower()
    if any(word in lowered for word in _context_words(email, name)):
        return "Do not use your name or email address in your password."
    return None
