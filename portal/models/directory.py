"""The service directory: agencies, provider organisations and their services (HSDS-shaped)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, enum_type, intpk, str120, str255


class Agency(Base):
    """A law-enforcement agency whose officers refer people."""

    __tablename__ = "agencies"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    short_name: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


def new_hsds_id() -> str:
    """A fresh HSDS identifier (a UUID, as text): a row keeps it for life, so an exported
    directory file names the same rows every time and an import updates them by it."""
    return str(uuid.uuid4())


class Organization(Base):
    """A provider organisation (HSDS organization)."""

    __tablename__ = "organizations"

    id: Mapped[intpk]
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_hsds_id)
    name: Mapped[str120] = mapped_column(unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str255 | None]
    website: Mapped[str255 | None]
    address: Mapped[str255 | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    services: Mapped[list[Service]] = relationship(
        back_populates="organization", order_by="Service.name"
    )


class ServiceCategory(enum.StrEnum):
    DETOX = "detox"
    CRISIS = "crisis_stabilization"
    HARM_REDUCTION = "harm_reduction"
    TREATMENT = "substance_use_treatment"
    COUNSELLING = "counselling"
    SUPPORT_GROUP = "support_group"
    MENTAL_HEALTH = "mental_health"
    HOUSING = "housing"
    BENEFITS = "income_benefits"
    EMPLOYMENT = "employment"
    MEDICAL = "medical"
    LEGAL = "legal"
    FAMILY = "family"

    @property
    def label(self) -> str:
        return SERVICE_CATEGORY_LABELS[self]


SERVICE_CATEGORY_LABELS = {
    ServiceCategory.DETOX: "Detoxification",
    ServiceCategory.CRISIS: "Crisis stabilisation",
    ServiceCategory.HARM_REDUCTION: "Harm reduction",
    ServiceCategory.TREATMENT: "Substance use treatment",
    ServiceCategory.COUNSELLING: "Counselling",
    ServiceCategory.SUPPORT_GROUP: "Support group",
    ServiceCategory.MENTAL_HEALTH: "Mental health",
    ServiceCategory.HOUSING: "Housing",
    ServiceCategory.BENEFITS: "Income and benefits",
    ServiceCategory.EMPLOYMENT: "Employment",
    ServiceCategory.MEDICAL: "Medical care",
    ServiceCategory.LEGAL: "Legal aid",
    ServiceCategory.FAMILY: "Family support",
}


class ServiceStatus(enum.StrEnum):
    ACTIVE = "active"
    TEMPORARILY_CLOSED = "temporarily_closed"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ServiceKind(enum.StrEnum):
    """How a service takes part in a participant's engagement."""

    EPISODE = "episode"  # detox, crisis stabilisation, residential: admitted, then discharged
    SCHEDULED = "scheduled"  # counselling, groups: sessions from schedules, attendance
    DROP_IN = "drop_in"  # harm reduction, benefits clinics: walk in, no referral, no places

    @property
    def label(self) -> str:
        return SERVICE_KIND_LABELS[self]

    @property
    def hint(self) -> str:
        return SERVICE_KIND_HINTS[self]


SERVICE_KIND_LABELS = {
    ServiceKind.EPISODE: "Episode (admission and discharge)",
    ServiceKind.SCHEDULED: "Scheduled (sessions and groups)",
    ServiceKind.DROP_IN: "Drop-in (walk-in, no referral)",
}
SERVICE_KIND_HINTS = {
    ServiceKind.EPISODE: "Detox, crisis stabilisation, residential: places are held; no group "
    "sessions.",
    ServiceKind.SCHEDULED: "Counselling and groups: places are held; attendance per session.",
    ServiceKind.DROP_IN: "Harm reduction, benefits clinics: no referral, no acceptance, no places; "
    "the provider records visits.",
}


class Service(Base):
    """A service an organisation offers, with eligibility, schedule and capacity."""

    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("organization_id", "name", name="uq_services_org_name"),
        CheckConstraint("capacity_available >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "capacity_max IS NULL OR capacity_available <= capacity_max",
            name="capacity_within_max",
        ),
    )

    id: Mapped[intpk]
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_hsds_id)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str120]
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[ServiceCategory] = mapped_column(enum_type(ServiceCategory))
    eligibility: Mapped[str] = mapped_column(Text, default="")
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    kind: Mapped[ServiceKind] = mapped_column(
        enum_type(ServiceKind), default=ServiceKind.SCHEDULED, server_default="scheduled"
    )
    by_appointment: Mapped[bool] = mapped_column(default=False)
    # What the provider confirms at admission to an episode (one sentence each); other kinds
    # ask none.
    admission_criteria: Mapped[list] = mapped_column(default=list, server_default="[]")
    capacity_max: Mapped[int | None]
    capacity_available: Mapped[int] = mapped_column(default=0)
    status: Mapped[ServiceStatus] = mapped_column(
        enum_type(ServiceStatus), default=ServiceStatus.ACTIVE
    )
    created_at: Mapped[created_at]

    organization: Mapped[Organization] = relationship(back_populates="services")
    schedules: Mapped[list[ServiceSchedule]] = relationship(
        back_populates="service",
        cascade="all, delete-orphan",
        order_by="(ServiceSchedule.weekday, ServiceSchedule.opens_at)",
    )

    @property
    def is_drop_in(self) -> bool:
        """Walk-in: no referral, no acceptance, no places; visits are recorded instead."""
        return self.kind == ServiceKind.DROP_IN

    @property
    def is_episode(self) -> bool:
        """Admitted and discharged: no group sessions to mark."""
        return self.kind == ServiceKind.EPISODE

    @property
    def holds_places(self) -> bool:
        """Referrals hold places of its capacity (every kind but drop-in)."""
        return not self.is_drop_in


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class ServiceSchedule(Base):
    """One weekly session of a service (RFC 5545 style: weekly on a weekday, from-to)."""

    __tablename__ = "service_schedules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
    )

    id: Mapped[intpk]
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_hsds_id)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    opens_at: Mapped[dt.time]
    closes_at: Mapped[dt.time]

    service: Mapped[Service] = relationship(back_populates="schedules")

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]}s {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
