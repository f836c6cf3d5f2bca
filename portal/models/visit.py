"""Visits to a drop-in service: named (one participant, one day) or an anonymous daily count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, intpk, utcnow
from portal.models.case import Case

# Walk-ins a clinic can see in one day: a count above this is a typing slip, not a busy day.
MAX_DAILY_VISITORS = 500


class DropInVisit(Base):
    """A named participant's visit to a drop-in service on one day (once a day)."""

    __tablename__ = "drop_in_visits"
    __table_args__ = (
        UniqueConstraint("service_id", "visit_date", "case_id", name="uq_drop_in_visit_once"),
    )

    id: Mapped[intpk]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    visit_date: Mapped[dt.date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[created_at]

    case: Mapped[Case] = relationship()


class DropInCount(Base):
    """The anonymous visitors of a drop-in service on one day (one number a day, replaced)."""

    __tablename__ = "drop_in_counts"
    __table_args__ = (
        UniqueConstraint("service_id", "visit_date", name="uq_drop_in_count_day"),
        CheckConstraint(f"visitors BETWEEN 0 AND {MAX_DAILY_VISITORS}", name="visitors_in_range"),
    )

    id: Mapped[intpk]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    visit_date: Mapped[dt.date]
    visitors: Mapped[int]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
