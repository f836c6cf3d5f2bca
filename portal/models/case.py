"""People, cases (one per referral) and the case timeline."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, enum_type, intpk, str120, str255, utcnow
from portal.models.demographics import Ethnicity, Gender, Race
from portal.models.directory import Agency
from portal.models.user import User


class Person(Base):
    """Someone referred to the program; found again by name and date of birth."""

    __tablename__ = "persons"
    __table_args__ = (Index("ix_persons_dob_last_name", "dob", "last_name"),)

    id: Mapped[intpk]
    first_name: Mapped[str120]
    last_name: Mapped[str120]
    aliases: Mapped[str] = mapped_column(Text, default="")
    dob: Mapped[dt.date]
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str255 | None]
    address: Mapped[str255 | None]
    created_at: Mapped[created_at]
    # A merge the office proposed and has not confirmed: this record is the same person as
    # `merged_into_id`. Nothing moves until the merge is confirmed; undoing it clears these.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[dt.datetime | None]
    # Demographics for disparity reporting: each optional (None: not asked yet).
    race: Mapped[Race | None] = mapped_column(enum_type(Race))
    ethnicity: Mapped[Ethnicity | None] = mapped_column(enum_type(Ethnicity))
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ReferralType(enum.StrEnum):
    ARREST = "arrest_diversion"
    SOCIAL = "social_contact"
    COMMUNITY = "community"
    FAMILY = "family"
    SELF = "self"
    PHONE = "phone_call"

    @property
    def label(self) -> str:
        return {
            "arrest_diversion": "Arrest diversion",
            "social_contact": "Social contact",
            "community": "Community referral",
            "family": "Family referral",
            "self": "Self-referral",
            "phone_call": "Phone call",
        }[self.value]


# The types an officer refers, and the ones the program office enters for a referral that came
# to it (from the community, a family, the person, or by phone).
OFFICER_REFERRAL_TYPES = (ReferralType.ARREST, ReferralType.SOCIAL, ReferralType.COMMUNITY)
OFFICE_REFERRAL_TYPES = (
    ReferralType.COMMUNITY,
    ReferralType.FAMILY,
    ReferralType.SELF,
    ReferralType.PHONE,
)


class CaseStatus(enum.StrEnum):
    REFERRED = "referred"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    NON_COMPLIANT = "non_compliant"

    @property
    def label(self) -> str:
        return {
            "referred": "Referred",
            "accepted": "Accepted, awaiting intake",
            "declined": "Declined",
            "active": "Active",
            "completed": "Completed",
            "withdrawn": "Withdrawn",
            "non_compliant": "Non-compliant",
        }[self.value]

    @property
    def is_open(self) -> bool:
        return self in (CaseStatus.REFERRED, CaseStatus.ACCEPTED, CaseStatus.ACTIVE)


class ExitReason(enum.StrEnum):
    """Why a participant left the program: a code, so exits can be counted."""

    COMPLETED = "completed"
    WITHDREW = "withdrew"
    MOVED_AWAY = "moved_away"
    DIED = "died"
    NON_COMPLIANT_CONFIRMED = "non_compliant_confirmed"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "completed": "Completed the program",
            "withdrew": "Withdrew",
            "moved_away": "Moved away",
            "died": "Died",
            "non_compliant_confirmed": "Non-compliance confirmed",
            "other": "Other",
        }[self.value]

    @property
    def status(self) -> CaseStatus:
        """The one status a case leaves the program in for this reason."""
        if self is ExitReason.COMPLETED:
            return CaseStatus.COMPLETED
        if self is ExitReason.NON_COMPLIANT_CONFIRMED:
            return CaseStatus.NON_COMPLIANT
        return CaseStatus.WITHDRAWN


class Case(Base):
    """One referral of one person, by an officer or entered by the program office, and the
    program's work on it. An office referral has no officer and no agency: its source (who
    referred the person and how to reach them) is recorded instead."""

    __tablename__ = "cases"
    __table_args__ = (
        # The keyset orders of the bounded lists (the sort key, then the id): the case list, the
        # queue's two lists and an officer's referrals each seek straight to their page.
        Index("ix_cases_referred_at_id", "referred_at", "id"),
        Index("ix_cases_status_referred_at_id", "status", "referred_at", "id"),
        Index("ix_cases_status_intake_deadline_id", "status", "intake_deadline", "id"),
        Index("ix_cases_officer_referred_at_id", "officer_id", "referred_at", "id"),
        # The reports' intakes a month (a range of months, not every case).
        # With the agency and person: the dashboard's participants enrolled in its dates, read
        # without their rows.
        Index("ix_cases_intake_completed_on", "intake_completed_on", "agency_id", "person_id"),
        # The outcomes dashboard (issue 14) reads these alone, not a case's row: the referrals
        # of its dates with what it counts of them, and who left before a month began.
        Index(
            "ix_cases_referred_at_cohort",
            "referred_at",
            "status",
            "agency_id",
            "intake_completed_on",
            "intake_deadline",
            "person_id",
        ),
        # Who was active in a range of months (not closed before it began, enrolled before it
        # ended), with the agency and person a breakdown groups them by.
        Index(
            "ix_cases_closed_on_cohort",
            "closed_on",
            "intake_completed_on",
            "agency_id",
            "person_id",
        ),
        # A case's agency and person looked up by its id without its (wide) row: the sessions
        # and episodes a breakdown joins to their case.
        Index("ix_cases_id_cohort", "id", "agency_id", "person_id"),
        # A case manager's cases: the queue, the case list and the outreach queue filtered by
        # them, and their caseload counted by status.
        Index(
            "ix_cases_case_manager_status_deadline_id",
            "case_manager_id",
            "status",
            "intake_deadline",
            "id",
        ),
        Index("ix_cases_case_manager_referred_at_id", "case_manager_id", "referred_at", "id"),
        # One referral form submission makes one case, however often it arrives.
        UniqueConstraint("officer_id", "submission_key", name="uq_cases_officer_submission_key"),
        UniqueConstraint(
            "entered_by_id", "submission_key", name="uq_cases_entered_by_submission_key"
        ),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    # The name as the officer referred the person: what the officer's pages show, and what their
    # duplicate check compares, even after the office links the case to an earlier record.
    referred_first_name: Mapped[str120]
    referred_last_name: Mapped[str120]
    # The referring officer and their agency; None for a referral the office entered.
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # The case manager who entered an office referral, and its source (None for an officer's).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_name: Mapped[str120 | None]
    source_contact: Mapped[str120 | None]
    source_note: Mapped[str | None] = mapped_column(String(500))
    referral_type: Mapped[ReferralType] = mapped_column(enum_type(ReferralType))
    incident_number: Mapped[str | None] = mapped_column(String(40))
    offences: Mapped[str] = mapped_column(Text, default="")
    statutes: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[dt.datetime | None]
    location: Mapped[str255 | None]
    eligibility: Mapped[dict] = mapped_column(default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), default=CaseStatus.REFERRED)
    referred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    intake_deadline: Mapped[dt.date]
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The case manager the case is assigned to (a user holding the case-manager duty).
    case_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    screened_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str255 | None]
    intake_completed_on: Mapped[dt.date | None]
    closed_on: Mapped[dt.date | None]
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_type(ExitReason))
    # The case manager's words on the exit; required when the reason is "other".
    exit_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Arrest diversion: the date by which the held charge must be filed, fixed at referral
    # (a later change of the program's setting does not move it).
    charge_file_by: Mapped[dt.date | None]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The key the referral form carried (a UUID); NULL for cases made without a form.
    submission_key: Mapped[str | None] = mapped_column(String(36))

    __mapper_args__ = {"version_id_col": version}

    person: Mapped[Person] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])
    case_manager: Mapped[User | None] = relationship(foreign_keys=[case_manager_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    agency: Mapped[Agency | None] = relationship()
    # Read-only: consents are recorded through their service. Loaded with the case where the
    # disclosure rule is decided in Python for one case (an officer's case page).
    # (Consent is resolved by name: portal.models.consent imports this module, not the reverse.)
    consents: Mapped[list[Consent]] = relationship(  # noqa: F821
        viewonly=True, order_by="Consent.id", primaryjoin="Case.id == Consent.case_id"
    )

    @property
    def referred_name(self) -> str:
        return f"{self.referred_first_name} {self.referred_last_name}"


class TimelineKind(enum.StrEnum):
    REFERRAL_RECEIVED = "referral_received"
    REFERRAL_ACCEPTED = "referral_accepted"
    REFERRAL_DECLINED = "referral_declined"
    INTAKE_COMPLETED = "intake_completed"
    ASSESSMENT_RECORDED = "assessment_recorded"
    CONTACT_RECORDED = "contact_recorded"
    SERVICE_REFERRED = "service_referred"
    SERVICE_ACCEPTED = "service_accepted"
    SERVICE_DECLINED = "service_declined"
    SERVICE_COMPLETED = "service_completed"
    SERVICE_ENDED = "service_ended"
    ENGAGED = "engaged_in_services"
    ATTENDANCE_RECORDED = "attendance_recorded"
    ATTENDANCE_CORRECTED = "attendance_corrected"
    CASE_COMPLETED = "case_completed"
    CASE_WITHDRAWN = "case_withdrawn"
    CASE_NON_COMPLIANT = "case_non_compliant"
    CASE_UPDATED = "case_updated"
    CONSENT_RECORDED = "consent_recorded"
    CONSENT_REVOKED = "consent_revoked"
    PERSON_LINKED = "person_linked"
    PERSONS_KEPT_APART = "persons_kept_apart"
    CASE_MANAGER_CHANGED = "case_manager_changed"
    DROP_IN_VISIT = "drop_in_visit"  # never an officer's: see policy's kinds
    # A provider's attempt to reach a referred participant: the provider's and the office's only.
    REACH_ATTEMPTED = "reach_attempted"
    # The evaluation's records: the program office's alone (see policy's kinds).
    JUSTICE_EVENT_RECORDED = "justice_event"
    MONTHLY_STATUS_RECORDED = "monthly_status"
    # An episode's admission, discharge and step-down are clinical: never an officer's either.
    EPISODE_ADMITTED = "episode_admitted"
    EPISODE_DISCHARGED = "episode_discharged"
    STEP_DOWN_CONFIRMED = "step_down_confirmed"
    STEP_DOWN_DECLINED = "step_down_declined"


class TimelineEntry(Base):
    """One event on a case. organization_id scopes it to a provider (None: program-level)."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_case_created", "case_id", "created_at", "id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TimelineKind] = mapped_column(enum_type(TimelineKind))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[created_at]

    actor: Mapped[User | None] = relationship()


class ProgramSettings(Base):
    """The program's rules that administrators configure (a single row)."""

    __tablename__ = "program_settings"

    id: Mapped[intpk]
    intake_deadline_days: Mapped[int] = mapped_column(default=30)
    eligibility_items: Mapped[list] = mapped_column(default=list)
    exclusion_reasons: Mapped[list] = mapped_column(default=list)
    # Audit rows older than this are removed by `flask audit prune` (and only then).
    audit_retention_days: Mapped[int] = mapped_column(default=2190, server_default="2190")
    # Arrest diversion: days after the incident by which a held charge must be filed.
    charge_filing_days: Mapped[int] = mapped_column(default=365, server_default="365")
    # Open cases per case manager: the program's guidance, and the count flagged as too many.
    caseload_guidance: Mapped[int] = mapped_column(default=15, server_default="15")
    caseload_flag_over: Mapped[int] = mapped_column(default=25, server_default="25")
    # A named drop-in visit alone makes a participant "engaged in services" only if switched on
    # (harm reduction is low-barrier: by default a visit never reaches an officer, even so).
    drop_in_visits_engage: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


DEFAULT_ELIGIBILITY_ITEMS = [
    "The offence is a low-level drug or prostitution offence",
    "The person is 18 or older",
    "Drug quantity is under the program threshold (3 g)",
    "No sign of dealing above subsistence level",
    "No exploitation of minors or promotion of prostitution",
    "No disqualifying violent history known",
    "The person is willing to be contacted by the program",
]

DEFAULT_EXCLUSION_REASONS = [
    "Drug quantity over the threshold",
    "Dealing above subsistence level",
    "Exploitation of minors",
    "Promoting prostitution",
    "Disqualifying violent history",
    "Under 18",
    "Outside the program's area",
    "Other (see note)",
]
