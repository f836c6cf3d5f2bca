"""Portal users and their roles."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

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

    # The sign-in this request runs under (set when it is loaded from its session, never
    # stored): Flask-Login keeps `get_id()`, the session's token, in the session cookie.
    signed_in_session_id: ClassVar[int | None] = None
    signed_in_token: ClassVar[str | None] = None
    signed_in_last_seen: ClassVar[dt.datetime | None] = None
    signed_in_authenticated_at: ClassVar[dt.datetime | None] = None

    def get_id(self) -> str | None:
        return self.signed_in_token

    def attach_session(
        self,
        session_id: int,
        token: str,
        last_seen: dt.datetime,
        authenticated_at: dt.datetime | None = None,
    ) -> None:
        """This request runs under that sign-in (its row's id, its cookie's token, when it was
        last used, when its user last proved who they are)."""
        self.signed_in_session_id, self.signed_in_token = session_id, token
        self.signed_in_last_seen = last_seen
        self.signed_in_authenticated_at = authenticated_at

    def has_role(self, role: Role) -> bool:
        return self.role == role
