"""The office's decisions about possible duplicate person records."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, enum_type, intpk, utcnow


class MatchDecision(enum.StrEnum):
    # Linking leaves no row: the case moves to the earlier record, the newer one usually goes.
    KEPT_APART = "kept_apart"  # two different people: never offered as a possible match again


class PersonMatchDecision(Base):
    """A decision the office took about two person records offered as a possible match.

    The pair is stored ordered (the lower id first), so one pair has one decision whichever of
    its two cases it was taken on.
    """

    __tablename__ = "person_match_decisions"
    __table_args__ = (
        UniqueConstraint("person_id", "other_person_id", name="uq_person_match_decisions_pair"),
        CheckConstraint("person_id < other_person_id", name="ordered_pair"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    other_person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[MatchDecision] = mapped_column(enum_type(MatchDecision))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The case whose page it was taken on (its audit rows and timeline entry name that case).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
