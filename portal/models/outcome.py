"""What the program's evaluation counts: criminal-justice events of a person before and after
enrollment, each active participant's monthly status (housing, employment, income), and the
demographics a site reports disparities by (kept on the person, all optional)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, enum_type, intpk, utcnow
from portal.models.case import Case, Person
from portal.models.directory import Agency

# A sentence longer than ten years is not a jail stay this program counts: a typing slip.
MAX_JAIL_DAYS = 3650


class JusticeEventKind(enum.StrEnum):
    ARREST = "arrest"
    CITATION = "citation"

    @property
    def label(self) -> str:
        return {"arrest": "Arrest", "citation": "Citation"}[self.value]


class OffenceLevel(enum.StrEnum):
    FELONY = "felony"
    MISDEMEANOR = "misdemeanor"
    VIOLATION = "violation"

    @property
    def label(self) -> str:
        return {
            "felony": "Felony",
            "misdemeanor": "Misdemeanor",
            "violation": "Violation or infraction",
        }[self.value]


class EventSource(enum.StrEnum):
    OFFICE = "office"  # entered by a case manager (from records, or the person's account)
    OFFICER = "officer"  # reported by the officer who referred the person

    @property
    def label(self) -> str:
        return {"office": "Program office", "officer": "Referring officer"}[self.value]


class JusticeEvent(Base):
    """An arrest or citation of a person, before or after enrollment: what re-arrest, bookings
    and jail days are counted from. Status-level: no charge text, no narrative."""

    __tablename__ = "justice_events"
    __table_args__ = (
        Index("ix_justice_events_person_id_occurred_on", "person_id", "occurred_on"),
        CheckConstraint(f"jail_days BETWEEN 0 AND {MAX_JAIL_DAYS}", name="jail_days_in_range"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    # The case it was recorded on (the person's referral open at the time, or the latest).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    occurred_on: Mapped[dt.date]
    kind: Mapped[JusticeEventKind] = mapped_column(enum_type(JusticeEventKind))
    offence_level: Mapped[OffenceLevel] = mapped_column(enum_type(OffenceLevel))
    booked: Mapped[bool] = mapped_column(default=False)
    jail_days: Mapped[int] = mapped_column(default=0)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    source: Mapped[EventSource] = mapped_column(enum_type(EventSource))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[created_at]

    person: Mapped[Person] = relationship()
    agency: Mapped[Agency | None] = relationship()


class Housing(enum.StrEnum):
    UNSHELTERED = "unsheltered"
    SHELTER = "shelter"
    TRANSITIONAL = "transitional"
    PERMANENT = "permanent"

    @property
    def label(self) -> str:
        return {
            "unsheltered": "Unsheltered",
            "shelter": "Emergency shelter",
            "transitional": "Transitional housing",
            "permanent": "Permanent housing",
        }[self.value]


class Employment(enum.StrEnum):
    UNEMPLOYED = "unemployed"
    PART_TIME = "part_time"
    FULL_TIME = "full_time"
    NOT_IN_LABOUR_FORCE = "not_in_labour_force"

    @property
    def label(self) -> str:
        return {
            "unemployed": "Unemployed",
            "part_time": "Employed part time",
            "full_time": "Employed full time",
            "not_in_labour_force": "Not working (unable, retired, student)",
        }[self.value]


class Income(enum.StrEnum):
    """Monthly income from every source, in bands (an exact amount is not asked for)."""

    NONE = "none"
    UNDER_500 = "under_500"
    FROM_500 = "500_to_999"
    FROM_1000 = "1000_to_1999"
    FROM_2000 = "2000_or_more"

    @property
    def label(self) -> str:
        return {
            "none": "No income",
            "under_500": "Under $500 a month",
            "500_to_999": "$500 to $999 a month",
            "1000_to_1999": "$1,000 to $1,999 a month",
            "2000_or_more": "$2,000 or more a month",
        }[self.value]


class MonthlyStatus(Base):
    """An active participant's situation in one month (one row a month; a correction replaces
    it): housing, employment, income band and whether they receive benefits."""

    __tablename__ = "monthly_statuses"
    __table_args__ = (
        UniqueConstraint("case_id", "month", name="uq_monthly_status_month"),
        # The dashboard's housing and income at enrollment and latest: a case's first and
        # latest values read from the index alone.
        Index("ix_monthly_statuses_case_month_values", "case_id", "month", "housing", "income"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    month: Mapped[dt.date]  # the first day of the month
    housing: Mapped[Housing] = mapped_column(enum_type(Housing))
    employment: Mapped[Employment] = mapped_column(enum_type(Employment))
    income: Mapped[Income] = mapped_column(enum_type(Income))
    benefits: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
