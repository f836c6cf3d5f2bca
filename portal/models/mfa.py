"""Multi-factor sign-in (CJIS): a user's TOTP authenticator and their one-time recovery codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, created_at, intpk


class MfaCredential(Base):
    """A user's authenticator: its shared secret, stored once a first code confirmed it.

    `last_step` is the newest 30-second TOTP time step accepted: a code of that step or an
    older one is refused (a replayed code), the comparison done in the UPDATE that records it.
    `failed_codes` counts wrong codes in a row at sign-in (five lock the account like five
    wrong passwords).
    """

    __tablename__ = "mfa_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # The base32 (RFC 4648) secret, shown at set-up only, never again; stored encrypted (a
    # Fernet token, portal/encryption.py): a copy of the database reveals no authenticator.
    secret: Mapped[str] = mapped_column(String(255))
    confirmed_at: Mapped[dt.datetime]
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_codes: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[created_at]


class MfaRecoveryCode(Base):
    """One recovery code, stored as the SHA-256 of its text (random, 48 bits: no need for a
    slow hash); used at most once."""

    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (Index("ix_mfa_recovery_codes_user_id_code_hash", "user_id", "code_hash"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
