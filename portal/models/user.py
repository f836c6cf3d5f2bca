"""Portal users and their roles."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, created_at, enum_type, intpk, str120, str255


class Role(enum.StrEnum):
    OFFICER = "officer"
    PROVIDER = "provider"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"officer": "Officer", "provider": "Provider staff", "admin": "Administrator"}[
            self.value
        ]


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(Base):
    """A person who signs in. Officers belong to an agency, provider staff to an organisation."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'officer' AND agency_id IS NOT NULL AND organization_id IS NULL)"
            " OR (role = 'provider' AND organization_id IS NOT NULL AND agency_id IS NULL)"
            " OR (role = 'admin' AND agency_id IS NULL AND organization_id IS NULL)",
            name="role_affiliation",
        ),
    )

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True)
    name: Mapped[str120]
    role: Mapped[Role] = mapped_column(enum_type(Role))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    badge_number: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str255]
    # Flask-Login's id: changing it signs the user out everywhere (server-side logout).
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    # CJIS: repeated failed sign-ins lock the account for a while.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    # A password an administrator set is theirs to know too: the user must choose their own
    # before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[created_at]

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    def has_role(self, role: Role) -> bool:
        return self.role == role
