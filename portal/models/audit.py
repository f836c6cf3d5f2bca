"""The audit trail: who did what to which record, when and from where (append-only)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, enum_type, utcnow

DEFAULT_AUDIT_RETENTION_DAYS = 2190  # six years (HIPAA keeps its documentation that long)


class AuditAction(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    VIEW_RECORD = "view_record"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    ROLE_CHANGE = "role_change"
    PASSWORD_CHANGE = "password_change"  # noqa: S105 (an action's name, not a password)
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"
    # Multi-factor sign-in: an authenticator confirmed, a code accepted or refused, an
    # administrator's reset.
    MFA_ENROL = "mfa_enrol"
    MFA_VERIFIED = "mfa_verified"
    MFA_FAILED = "mfa_failed"
    MFA_RESET = "mfa_reset"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize().replace("Mfa ", "MFA ")


class AuditOutcome(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"


class AuditEvent(Base):
    """One audited event. Rows are only ever inserted: the database refuses UPDATE, and DELETE
    except by the prune command for rows older than the retention.

    It names things by id only (no names, no free text, no search terms), and holds no foreign
    keys: the trail outlives what it mentions, and a cascade would be an UPDATE or DELETE.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_user_id_id", "user_id", "id"),
        Index("ix_audit_events_case_id_id", "case_id", "id"),
        Index("ix_audit_events_at", "at"),
    )

    # A rowid alias on SQLite (which autoincrements INTEGER only), 64 bits elsewhere.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(String(20))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # The participant's case the object belongs to, when known: what "who opened this
    # participant's record" filters on.
    case_id: Mapped[int | None]
    outcome: Mapped[AuditOutcome] = mapped_column(enum_type(AuditOutcome))
