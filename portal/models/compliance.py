"""Program rules (what counts as not meeting the program's requirements) and the flags a breach
raises for a case manager to review.

A flag is never a message to anyone outside the program office: a case manager dismisses it
(with a reason) or confirms it, and only a confirmed non-compliance closes the case.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, enum_type, intpk, utcnow
from portal.models.case import Case
from portal.models.user import User


class RuleCode(enum.StrEnum):
    INTAKE_DEADLINE = "intake_deadline"
    NO_CONTACT = "no_contact"
    MISSED_SESSIONS = "missed_sessions"

    @property
    def label(self) -> str:
        return {
            "intake_deadline": "Intake not completed by the deadline",
            "no_contact": "No contact or attendance",
            "missed_sessions": "Consecutive missed sessions",
        }[self.value]

    @property
    def takes_parameter(self) -> bool:
        """The intake deadline comes from each case's deadline; the others have their own N."""
        return self != RuleCode.INTAKE_DEADLINE


class ComplianceRule(Base):
    """One of the program's rules: switched on or off, with its parameter N where it has one."""

    __tablename__ = "compliance_rules"

    id: Mapped[intpk]
    code: Mapped[RuleCode] = mapped_column(enum_type(RuleCode, name="code"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    # no_contact: days without a contact or attendance; missed_sessions: consecutive misses.
    parameter: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FlagStatus(enum.StrEnum):
    OPEN = "open"  # waiting for a case manager
    DISMISSED = "dismissed"  # reviewed: no action (the reason says why)
    CONFIRMED = "confirmed"  # reviewed: the case was closed as non-compliant
    RESOLVED = "resolved"  # the breach went away (intake recorded, contact logged, ...)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ComplianceFlag(Base):
    """A breach of a rule on a case, raised once, then dismissed, confirmed or resolved.

    One open flag per case and rule; one flag per breach (`breach_key`) unless resolved, so a
    dismissed breach is not raised again, however often or concurrently the rules are evaluated.
    Evidence is dates and counts, never clinical text.
    """

    __tablename__ = "compliance_flags"
    __table_args__ = (
        Index(
            "uq_compliance_flags_open",
            "case_id",
            "rule",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "uq_compliance_flags_breach",
            "case_id",
            "rule",
            "breach_key",
            unique=True,
            sqlite_where=text("status <> 'resolved'"),
            postgresql_where=text("status <> 'resolved'"),
        ),
        # The review queue: open flags, oldest first.
        Index(
            "ix_compliance_flags_open_raised",
            "raised_at",
            "id",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    rule: Mapped[RuleCode] = mapped_column(enum_type(RuleCode, name="rule"))
    breach_key: Mapped[str] = mapped_column(String(80))
    evidence: Mapped[str] = mapped_column(String(500))
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[FlagStatus] = mapped_column(enum_type(FlagStatus), default=FlagStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    # Moves on with each decision: a decision applies only to the flag as the reviewer saw it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship()
    decided_by: Mapped[User | None] = relationship()


def is_open_flag() -> ColumnElement[bool]:
    """Open flags, as a filter written with the literal 'open' (not a parameter): only then
    may SQLite, and a generic plan on PostgreSQL, use the partial indexes of open flags."""
    return ComplianceFlag.status == literal_column("'open'")
