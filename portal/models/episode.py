"""An episode of an episode service (detox, crisis stabilisation, residential): the participant
is admitted, then discharged with an outcome; a step-down names the next service, which the
case manager confirms (creating that referral) or declines."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, enum_type, intpk, utcnow
from portal.models.directory import Service
from portal.models.engagement import ServiceReferral


class DischargeOutcome(enum.StrEnum):
    STEPPED_DOWN = "stepped_down"
    COMPLETED = "completed"
    LEFT_AGAINST_ADVICE = "left_against_advice"
    TRANSFERRED = "transferred"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DISCHARGE_OUTCOME_LABELS[self]

    @property
    def completes_service(self) -> bool:
        """The episode ran its course: the service referral is completed (else ended)."""
        return self in (DischargeOutcome.STEPPED_DOWN, DischargeOutcome.COMPLETED)


DISCHARGE_OUTCOME_LABELS = {
    DischargeOutcome.STEPPED_DOWN: "Completed, stepped down to a named service",
    DischargeOutcome.COMPLETED: "Completed, no step-down",
    DischargeOutcome.LEFT_AGAINST_ADVICE: "Left against advice",
    DischargeOutcome.TRANSFERRED: "Transferred",
    DischargeOutcome.OTHER: "Other",
}


class StepDownState(enum.StrEnum):
    PROPOSED = "proposed"  # named at discharge, waiting for the case manager
    CONFIRMED = "confirmed"  # the case manager made the referral
    DECLINED = "declined"  # the case manager did not (with a reason)

    @property
    def label(self) -> str:
        return {
            "proposed": "Waiting for the case manager",
            "confirmed": "Confirmed: referral made",
            "declined": "Declined by the case manager",
        }[self.value]


class Episode(Base):
    """The admission and discharge of one accepted referral to an episode service (one each)."""

    __tablename__ = "episodes"
    __table_args__ = (
        CheckConstraint(
            "discharged_on IS NULL OR discharged_on >= admitted_on",
            name="discharge_after_admission",
        ),
        CheckConstraint(
            "(discharged_on IS NULL) = (outcome IS NULL)", name="outcome_with_discharge"
        ),
        CheckConstraint(
            "(outcome = 'stepped_down') = (step_down_service_id IS NOT NULL)",
            name="step_down_names_service",
        ),
        CheckConstraint(
            "(step_down_service_id IS NULL) = (step_down_state IS NULL)",
            name="step_down_has_state",
        ),
    )

    id: Mapped[intpk]
    service_referral_id: Mapped[int] = mapped_column(
        ForeignKey("service_referrals.id", ondelete="CASCADE"), unique=True
    )
    admitted_on: Mapped[dt.date]
    admitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    admitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The service's admission criteria as they were asked, each with the answer given.
    criteria_answers: Mapped[list] = mapped_column(default=list)
    discharged_on: Mapped[dt.date | None]
    discharged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discharged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[DischargeOutcome | None] = mapped_column(enum_type(DischargeOutcome))
    note: Mapped[str] = mapped_column(Text, default="")
    step_down_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    step_down_state: Mapped[StepDownState | None] = mapped_column(
        enum_type(StepDownState), index=True
    )
    step_down_referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_referrals.id", ondelete="SET NULL")
    )
    step_down_reason: Mapped[str | None] = mapped_column(String(500))
    step_down_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    step_down_decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Moves on with each change: a discharge or decision applies only to the state it saw.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    service_referral: Mapped[ServiceReferral] = relationship(foreign_keys=[service_referral_id])
    step_down_service: Mapped[Service | None] = relationship(foreign_keys=[step_down_service_id])

    @property
    def is_discharged(self) -> bool:
        return self.discharged_on is not None

    @property
    def awaits_step_down_decision(self) -> bool:
        return self.step_down_state == StepDownState.PROPOSED
