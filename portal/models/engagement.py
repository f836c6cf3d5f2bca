"""Needs assessments, case-manager contacts, service referrals and attendance."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, enum_type, intpk, str255, utcnow
from portal.models.case import Case
from portal.models.directory import Service
from portal.models.user import User


class NeedDomain(enum.StrEnum):
    SUBSTANCE_USE = "substance_use"
    MENTAL_HEALTH = "mental_health"
    HOUSING = "housing"
    INCOME = "income_benefits"
    EMPLOYMENT = "employment"
    MEDICAL = "medical"
    LEGAL = "legal"
    FAMILY = "family"

    @property
    def label(self) -> str:
        return {
            "substance_use": "Substance use",
            "mental_health": "Mental health",
            "housing": "Housing",
            "income_benefits": "Income and benefits",
            "employment": "Employment",
            "medical": "Medical",
            "legal": "Legal",
            "family": "Family",
        }[self.value]


class NeedLevel(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return ["none", "low", "moderate", "high"].index(self.value)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Assessment(Base):
    """A needs assessment; reassessments are kept, the latest drives matching."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_case_created", "case_id", "created_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessed_on: Mapped[dt.date]
    substances: Mapped[str255] = mapped_column(default="")
    detox_needed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    needs: Mapped[list[AssessmentNeed]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    assessed_by: Mapped[User] = relationship()


class AssessmentNeed(Base):
    """One domain's level and note within an assessment."""

    __tablename__ = "assessment_needs"
    __table_args__ = (UniqueConstraint("assessment_id", "domain", name="uq_need_per_domain"),)

    id: Mapped[intpk]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    domain: Mapped[NeedDomain] = mapped_column(enum_type(NeedDomain))
    level: Mapped[NeedLevel] = mapped_column(enum_type(NeedLevel))
    note: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="needs")


class ContactKind(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    OUTREACH_ATTEMPT = "outreach_attempt"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "phone": "Phone", "outreach_attempt": "Outreach attempt"}[
            self.value
        ]


class Contact(Base):
    """A case manager's contact (or attempt) with a participant."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_case_date", "case_id", "contacted_on"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    contacted_on: Mapped[dt.date]
    kind: Mapped[ContactKind] = mapped_column(enum_type(ContactKind))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]


class ReferralStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DeclineReason(enum.StrEnum):
    NO_CAPACITY = "no_capacity"
    NOT_ELIGIBLE = "not_eligible"
    PERSON_DECLINED = "person_declined"
    OTHER = "other"
    # Closed after contact attempts (recorded first): never chosen from the decline form.
    COULD_NOT_REACH = "could_not_reach"

    @property
    def label(self) -> str:
        return {
            "no_capacity": "No capacity",
            "not_eligible": "Not eligible",
            "person_declined": "Person declined",
            "other": "Other",
            "could_not_reach": COULD_NOT_REACH_LABEL,
        }[self.value]


COULD_NOT_REACH_LABEL = "Could not reach the person"


class ServiceReferral(Base):
    """A participant referred to one service; holds one reserved place while open."""

    __tablename__ = "service_referrals"
    __table_args__ = (
        Index("ix_service_referrals_service_status", "service_id", "status"),
        Index("ix_service_referrals_case", "case_id"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus), default=ReferralStatus.PENDING
    )
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_type(DeclineReason))
    end_reason: Mapped[str255 | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    service: Mapped[Service] = relationship()
    case: Mapped[Case] = relationship()


class AttemptMethod(enum.StrEnum):
    """How provider staff tried to reach a referred participant."""

    PHONE = "phone"
    TEXT = "text"
    IN_PERSON = "in_person"
    LETTER = "letter"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return {
            "phone": "Phone call",
            "text": "Text message",
            "in_person": "In person",
            "letter": "Letter",
            "email": "Email",
        }[self.value]


class ContactAttempt(Base):
    """Provider staff's attempt to reach the participant of one of their service referrals
    (the case manager sees them; an officer never does)."""

    __tablename__ = "service_referral_attempts"
    __table_args__ = (
        Index("ix_service_referral_attempts_referral_date", "service_referral_id", "attempted_on"),
    )

    id: Mapped[intpk]
    service_referral_id: Mapped[int] = mapped_column(
        ForeignKey("service_referrals.id", ondelete="CASCADE")
    )
    attempted_on: Mapped[dt.date]
    method: Mapped[AttemptMethod] = mapped_column(enum_type(AttemptMethod))
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[created_at]

    recorded_by: Mapped[User] = relationship()


class AttendanceStatus(enum.StrEnum):
    ATTENDED = "attended"
    MISSED = "missed"
    EXCUSED = "excused"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Attendance(Base):
    """Attendance of one service referral at one session date (one row per date)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("service_referral_id", "session_date", name="uq_attendance_once"),
        # The dashboard's sessions attended a month: a range of this index alone (no row read
        # for its status), its referrals read from the index too.
        Index(
            "ix_attendance_date_status_referral", "session_date", "status", "service_referral_id"
        ),
    )

    id: Mapped[intpk]
    service_referral_id: Mapped[int] = mapped_column(
        ForeignKey("service_referrals.id", ondelete="CASCADE")
    )
    session_date: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_type(AttendanceStatus))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Moves on with each correction: a correction applies only to the value it was made from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class AttendanceMonth(Base):
    """Sessions a case attended in one calendar month (the session dates' month), for the
    dashboard's engagement figure: a breakdown by race or agency then reads a row a participant
    a month, not a row a session.

    Kept by the database itself: triggers on `attendance` (migration ar1a2b3c4d5e) add or take
    one on every insert, status change or delete of an attended session, whoever writes it.
    Never written by the application."""

    __tablename__ = "attendance_months"
    __table_args__ = (
        # The months of a date range with their cases and counts, read from the index alone.
        Index("ix_attendance_months_month_case", "month", "case_id", "attended"),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[dt.date] = mapped_column(primary_key=True)  # its first day
    attended: Mapped[int] = mapped_column(default=0, server_default="0")


class AttendanceCorrection(Base):
    """The earlier value of a corrected attendance entry, and why it changed."""

    __tablename__ = "attendance_corrections"

    id: Mapped[intpk]
    attendance_id: Mapped[int] = mapped_column(
        ForeignKey("attendance.id", ondelete="CASCADE"), index=True
    )
    old_status: Mapped[AttendanceStatus] = mapped_column(
        enum_type(AttendanceStatus, name="old_status")
    )
    new_status: Mapped[AttendanceStatus] = mapped_column(
        enum_type(AttendanceStatus, name="new_status")
    )
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[created_at]
