"""Portal users and their roles."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, created_at, enum_type, intpk, str120, str255


class Role(enum.StrEnum):
    """Who a user is: an officer of an agency, staff of a provider organisation, or staff of the
    program office, whose duties are their `StaffRole`s."""

    OFFICER = "officer"
    PROVIDER = "provider"
    STAFF = "staff"

    @property
    def label(self) -> str:
        return {"officer": "Officer", "provider": "Provider staff", "staff": "Program office"}[
            self.value
        ]


class StaffRole(enum.StrEnum):
    """The program office's separate duties; one person may hold several."""

    CASE_MANAGER = "case_manager"
    PROGRAM_ADMIN = "program_admin"
    REPORTS = "reports"

    @property
    def label(self) -> str:
        return {
            "case_manager": "Case manager",
            "program_admin": "Program administrator",
            "reports": "Reports (read only)",
        }[self.value]

    @property
    def hint(self) -> str:
        return {
            "case_manager": "Screening, intake, consent, contacts, matching, compliance review.",
            "program_admin": "Users, the directory, the program's rules and settings, the audit"
            " trail.",
            "reports": "The program's figures, read only: no case, no person.",
        }[self.value]


class User(Base):
    """A person who signs in. Officers belong to an agency, provider staff to an organisation."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'officer' AND agency_id IS NOT NULL AND organization_id IS NULL)"
            " OR (role = 'provider' AND organization_id IS NOT NULL AND agency_id IS NULL)"
            " OR (role = 'staff' AND agency_id IS NULL AND organization_id IS NULL)",
            name="role_affiliation",
        ),
        # Program office staff hold at least one duty; nobody else holds any.
        CheckConstraint(
            "(role = 'staff') = (case_manager OR program_admin OR reports)",
            name="staff_roles",
        ),
    )

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True)
    name: Mapped[str120]
    role: Mapped[Role] = mapped_column(enum_type(Role))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    badge_number: Mapped[str | None] = mapped_column(String(40))
    # A work number others may call (a provider calls the participant's case manager on it).
    work_phone: Mapped[str | None] = mapped_column(String(40))
    # The program office's duties (see StaffRole).
    case_manager: Mapped[bool] = mapped_column(default=False, server_default=false())
    program_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    reports: Mapped[bool] = mapped_column(default=False, server_default=false())
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

    @property
    def staff_roles(self) -> frozenset[StaffRole]:
        return frozenset(r for r in StaffRole if getattr(self, r.value))

    @staff_roles.setter
    def staff_roles(self, roles: frozenset[StaffRole] | set[StaffRole]) -> None:
        for role in StaffRole:
            setattr(self, role.value, role in roles)

    @property
    def role_label(self) -> str:
        """What the user is, in words: "Officer", or the office duties they hold."""
        if self.staff_roles:  # only program office staff hold any
            return ", ".join(r.label for r in StaffRole if r in self.staff_roles)
        return self.role.label
