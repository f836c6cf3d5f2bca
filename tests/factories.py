"""factory_boy factories for the domain, flushed into the test's session.

A factory builds rows the way the program would have left them: a case built with a status
trait (`CaseFactory(active=True)`) went through screening and intake, with the timeline entries
those steps write; a pending or accepted service referral holds one of its service's places.
`CaseFactory(status=...)` alone sets the column and nothing else.
"""

from __future__ import annotations

import datetime as dt

import factory
import sqlalchemy as sa
from factory.alchemy import SQLAlchemyModelFactory

from portal.clock import local_today, program_tz
from portal.extensions import db
from portal.models import (
    Agency,
    Assessment,
    AssessmentNeed,
    Attendance,
    AttendanceStatus,
    Case,
    CaseStatus,
    Consent,
    DeclineReason,
    ExitReason,
    NeedDomain,
    NeedLevel,
    Organization,
    Person,
    RecipientKind,
    ReferralStatus,
    ReferralType,
    Role,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceReferral,
    SignatureMethod,
    TimelineEntry,
    TimelineKind,
    User,
    utcnow,
)
from portal.models.case import DEFAULT_EXCLUSION_REASONS
from portal.passwords import hash_password
from portal.services.assessments import summarize
from portal.services.cases import charge_deadline
from portal.services.settings import DEFAULT_CHARGE_FILING_DAYS

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AgencyFactory(Base):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    short_name = factory.Sequence(lambda n: f"AG{n}")


class OrganizationFactory(Base):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Provider {n}")


class ServiceFactory(Base):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    category = ServiceCategory.COUNSELLING
    capacity_max = 10
    capacity_available = 10
    by_appointment = True


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"User {n}")
    # An office user holding both duties, as every administrator did before the roles split.
    role = Role.STAFF
    case_manager = factory.LazyAttribute(lambda o: o.role == Role.STAFF)
    program_admin = factory.LazyAttribute(lambda o: o.role == Role.STAFF)
    reports = False
    password_hash = _PASSWORD_HASH

    class Params:
        officer = factory.Trait(role=Role.OFFICER, agency=factory.SubFactory(AgencyFactory))
        provider = factory.Trait(
            role=Role.PROVIDER, organization=factory.SubFactory(OrganizationFactory)
        )

    @classmethod
    def _create(cls, model_class, *args, agency=None, organization=None, **kwargs):
        if agency is not None:
            kwargs["agency_id"] = agency.id
        if organization is not None:
            kwargs["organization_id"] = organization.id
        return super()._create(model_class, *args, **kwargs)


class PersonFactory(Base):
    class Meta:
        model = Person

    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Doe"
    # A birth date of its own: two factory people are two people, not a possible match of each
    # other (the same last name and birth date), unless a test says so.
    dob = factory.Sequence(lambda n: dt.date(1990, 4, 28) - dt.timedelta(days=n))


def _entry(case_id, kind, actor_id, at, payload=None, organization_id=None) -> None:
    db.session.add(
        TimelineEntry(
            case_id=case_id,
            kind=kind,
            actor_id=actor_id,
            organization_id=organization_id,
            payload=payload or {},
            created_at=at,
        )
    )


def _local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(program_tz()).date()


def _days_ago(days: int):
    return factory.LazyFunction(lambda: utcnow() - dt.timedelta(days=days))


_SCREENED = {
    "screened_at": factory.LazyAttribute(lambda o: o.referred_at + dt.timedelta(days=1)),
    "intake_deadline": factory.LazyAttribute(
        lambda o: _local_date(o.referred_at) + dt.timedelta(days=30)
    ),
    "timeline": True,
}


# The timeline of a case built with `active=True`, oldest first.
ACTIVE_HISTORY = (
    TimelineKind.REFERRAL_RECEIVED,
    TimelineKind.REFERRAL_ACCEPTED,
    TimelineKind.INTAKE_COMPLETED,
)


class CaseFactory(Base):
    """A case; a status trait builds one that went through the program's steps to that status.

    accepted / declined: screened the day after the referral two days ago. active: referred
    90 days ago, screened, intake four days later (release of information signed). completed /
    withdrawn: active, then left the program today; non_compliant: active, then returned.
    Each step writes the timeline entry the services write.
    """

    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    referred_first_name = factory.LazyAttribute(lambda o: o.person.first_name)
    referred_last_name = factory.LazyAttribute(lambda o: o.person.last_name)
    officer = factory.SubFactory(UserFactory, officer=True)
    agency_id = factory.LazyAttribute(lambda o: o.officer.agency_id)
    referral_type = ReferralType.ARREST
    status = CaseStatus.REFERRED
    referred_at = factory.LazyFunction(utcnow)
    intake_deadline = factory.LazyFunction(lambda: local_today() + dt.timedelta(days=30))
    offences = "Possession of a controlled substance"
    # What refer_person fixes for an arrest diversion (the program's default filing days).
    charge_file_by = factory.LazyAttribute(
        lambda o: charge_deadline(
            o.referral_type,
            getattr(o, "occurred_at", None),
            _local_date(o.referred_at),
            DEFAULT_CHARGE_FILING_DAYS,
        )
    )
    timeline = False  # write the history of the status (set by the traits)
    screened_by = None  # the administrator who screened it (made when needed)

    class Params:
        accepted = factory.Trait(status=CaseStatus.ACCEPTED, referred_at=_days_ago(2), **_SCREENED)
        declined = factory.Trait(
            status=CaseStatus.DECLINED,
            referred_at=_days_ago(2),
            decline_reason=DEFAULT_EXCLUSION_REASONS[0],
            **_SCREENED,
        )
        active = factory.Trait(
            status=CaseStatus.ACTIVE,
            referred_at=_days_ago(90),
            intake_completed_on=factory.LazyAttribute(
                lambda o: _local_date(o.referred_at) + dt.timedelta(days=4)
            ),
            **_SCREENED,
        )
        completed = factory.Trait(
            active=True,
            status=CaseStatus.COMPLETED,
            closed_on=factory.LazyFunction(local_today),
            exit_reason=ExitReason.COMPLETED,
        )
        withdrawn = factory.Trait(
            active=True,
            status=CaseStatus.WITHDRAWN,
            closed_on=factory.LazyFunction(local_today),
            exit_reason=ExitReason.MOVED_AWAY,
        )
        non_compliant = factory.Trait(
            active=True,
            status=CaseStatus.NON_COMPLIANT,
            closed_on=factory.LazyFunction(local_today),
            exit_reason=ExitReason.NON_COMPLIANT_CONFIRMED,
        )

    @classmethod
    def _create(cls, model_class, *args, timeline=False, screened_by=None, **kwargs):
        if kwargs.get("screened_at") is not None:
            screened_by = screened_by or UserFactory()
            kwargs["screened_by_id"] = screened_by.id
        case = super()._create(model_class, *args, **kwargs)
        if timeline:
            _write_history(case, screened_by)
            db.session.flush()
        return case


def _write_history(case: Case, screener: User) -> None:
    """The timeline entries refer_person, screening, intake and the exit would have written."""
    _entry(
        case.id,
        TimelineKind.REFERRAL_RECEIVED,
        case.officer_id,
        case.referred_at,
        {"referral_type": case.referral_type.value, "reused_person": False},
    )
    if case.status == CaseStatus.DECLINED:
        payload = {"from": "referred", "to": "declined", "reason": case.decline_reason, "note": ""}
        _entry(case.id, TimelineKind.REFERRAL_DECLINED, screener.id, case.screened_at, payload)
        return
    payload = {"from": "referred", "to": "accepted"}
    _entry(case.id, TimelineKind.REFERRAL_ACCEPTED, screener.id, case.screened_at, payload)
    if case.intake_completed_on is None:
        return
    intake_at = case.screened_at + dt.timedelta(days=3)
    payload = {
        "from": "accepted",
        "to": "active",
        "completed_on": case.intake_completed_on.isoformat(),
    }
    _entry(case.id, TimelineKind.INTAKE_COMPLETED, screener.id, intake_at, payload)
    exit_kind = {
        CaseStatus.COMPLETED: TimelineKind.CASE_COMPLETED,
        CaseStatus.WITHDRAWN: TimelineKind.CASE_WITHDRAWN,
        CaseStatus.NON_COMPLIANT: TimelineKind.CASE_NON_COMPLIANT,
    }.get(case.status)
    if exit_kind is None:
        return
    payload = {"from": "active", "to": case.status.value}
    if case.closed_on is not None:
        payload |= {
            "closed_on": case.closed_on.isoformat(),
            "exit_reason": case.exit_reason.value if case.exit_reason else None,
            "note": case.exit_note or "",
        }
    _entry(case.id, exit_kind, screener.id, utcnow(), payload)


_DECIDED = {"decided_at": factory.LazyAttribute(lambda o: o.created_at + dt.timedelta(days=1))}
_CLOSED = {"closed_at": factory.LazyFunction(utcnow)}
_REFERRAL_KIND = {
    ReferralStatus.ACCEPTED: TimelineKind.SERVICE_ACCEPTED,
    ReferralStatus.DECLINED: TimelineKind.SERVICE_DECLINED,
    ReferralStatus.COMPLETED: TimelineKind.SERVICE_COMPLETED,
    ReferralStatus.ENDED: TimelineKind.SERVICE_ENDED,
}


class ServiceReferralFactory(Base):
    """An active participant referred to a service eight weeks ago by the program office.

    Pending or accepted, it holds one of the service's places. Traits: accepted (by a member of
    the organisation's staff; the case's first acceptance also writes 'engaged'), declined,
    completed, ended. The timeline entries are those the referral services write.
    """

    class Meta:
        model = ServiceReferral

    case = factory.SubFactory(CaseFactory, active=True)
    service = factory.SubFactory(ServiceFactory)
    created_by = factory.SubFactory(UserFactory)
    status = ReferralStatus.PENDING
    note = ""
    # Weeks ago, so attendance can be recorded for the past sessions a test needs.
    created_at = factory.LazyFunction(lambda: utcnow() - dt.timedelta(days=56))
    decided_by = None  # the provider's staff member who decided (made when needed)

    class Params:
        accepted = factory.Trait(status=ReferralStatus.ACCEPTED, **_DECIDED)
        declined = factory.Trait(
            status=ReferralStatus.DECLINED, decline_reason=DeclineReason.NO_CAPACITY, **_DECIDED
        )
        completed = factory.Trait(accepted=True, status=ReferralStatus.COMPLETED, **_CLOSED)
        ended = factory.Trait(
            accepted=True, status=ReferralStatus.ENDED, end_reason="Stopped attending", **_CLOSED
        )

    @classmethod
    def _create(cls, model_class, *args, created_by, decided_by=None, **kwargs):
        service, status = kwargs["service"], kwargs["status"]
        kwargs["created_by_id"] = created_by.id
        if kwargs.get("decided_at") is not None:
            decided_by = decided_by or UserFactory(
                role=Role.PROVIDER, organization=service.organization
            )
            kwargs["decided_by_id"] = decided_by.id
        if status in (ReferralStatus.PENDING, ReferralStatus.ACCEPTED):
            if not service.capacity_available:
                raise ValueError(f"{service.name} has no place left to hold")
            service.capacity_available -= 1
        referral = super()._create(model_class, *args, **kwargs)
        _write_referral_history(referral, service)
        db.session.flush()
        return referral


def _write_referral_history(referral: ServiceReferral, service: Service) -> None:
    def add(kind, actor_id, at, **extra):
        payload = {
            "service_name": service.name,
            "organization_name": service.organization.name,
            "referral_id": referral.id,
            **{k: v for k, v in extra.items() if v},
        }
        _entry(referral.case_id, kind, actor_id, at, payload, service.organization_id)

    add(TimelineKind.SERVICE_REFERRED, referral.created_by_id, referral.created_at)
    if referral.decided_at is None:
        return
    if referral.status == ReferralStatus.DECLINED:
        reason = referral.decline_reason.label
        add(
            TimelineKind.SERVICE_DECLINED,
            referral.decided_by_id,
            referral.decided_at,
            reason=reason,
        )
        return
    add(TimelineKind.SERVICE_ACCEPTED, referral.decided_by_id, referral.decided_at)
    engaged = db.session.scalar(
        sa.select(TimelineEntry.id).where(
            TimelineEntry.case_id == referral.case_id, TimelineEntry.kind == TimelineKind.ENGAGED
        )
    )
    if engaged is None:
        _entry(referral.case_id, TimelineKind.ENGAGED, referral.decided_by_id, referral.decided_at)
    if referral.closed_at is not None:
        kind = _REFERRAL_KIND[referral.status]
        add(kind, referral.decided_by_id, referral.closed_at, reason=referral.end_reason)


class AttendanceFactory(Base):
    """Today's attendance of a participant on a service's roster, recorded by the staff member
    who accepted them, with its timeline entry."""

    class Meta:
        model = Attendance

    service_referral = factory.SubFactory(ServiceReferralFactory, accepted=True)
    session_date = factory.LazyFunction(local_today)
    status = AttendanceStatus.ATTENDED
    recorded_by = None
    recorded_at = factory.LazyFunction(utcnow)

    @classmethod
    def _create(cls, model_class, *args, service_referral, recorded_by=None, **kwargs):
        referral = service_referral
        if referral.status != ReferralStatus.ACCEPTED:
            raise ValueError("attendance is recorded only for participants on the roster")
        actor_id = recorded_by.id if recorded_by else referral.decided_by_id
        kwargs |= {"service_referral_id": referral.id, "recorded_by_id": actor_id}
        attendance = super()._create(model_class, *args, **kwargs)
        service = referral.service
        payload = {
            "service_name": service.name,
            "session_date": attendance.session_date.isoformat(),
            "status": attendance.status.value,
            "referral_id": referral.id,
        }
        kind = TimelineKind.ATTENDANCE_RECORDED
        _entry(
            referral.case_id,
            kind,
            actor_id,
            attendance.recorded_at,
            payload,
            service.organization_id,
        )
        db.session.flush()
        return attendance


class AssessmentFactory(Base):
    """A needs assessment of an active participant, every domain at `needs` (default none),
    with its program-only timeline entry. `needs={NeedDomain.HOUSING: NeedLevel.HIGH}`."""

    class Meta:
        model = Assessment

    case = factory.SubFactory(CaseFactory, active=True)
    assessed_by = factory.SubFactory(UserFactory)
    assessed_on = factory.LazyFunction(local_today)
    substances = "heroin"
    detox_needed = False

    @classmethod
    def _create(cls, model_class, *args, case, needs=None, **kwargs):
        levels = dict.fromkeys(NeedDomain, NeedLevel.NONE) | (needs or {})
        kwargs["needs"] = [AssessmentNeed(domain=d, level=level) for d, level in levels.items()]
        assessment = super()._create(model_class, *args, case_id=case.id, **kwargs)
        payload = {
            "summary": summarize(levels, assessment.detox_needed),
            "completed_on": assessment.assessed_on.isoformat(),
            "assessment_id": assessment.id,
        }
        kind = TimelineKind.ASSESSMENT_RECORDED
        _entry(case.id, kind, assessment.assessed_by.id, assessment.created_at, payload)
        db.session.flush()
        return assessment


def drop_in_service(**kw) -> Service:
    """A walk-in service (harm reduction): no places, no acceptance."""
    defaults = {
        "kind": ServiceKind.DROP_IN,
        "capacity_max": None,
        "capacity_available": 0,
        "by_appointment": False,
    }
    return ServiceFactory(**{**defaults, **kw})


def episode_service(**kw) -> Service:
    """An episode service (detox, crisis stabilisation): admitted and discharged, no sessions."""
    defaults = {
        "kind": ServiceKind.EPISODE,
        "category": ServiceCategory.DETOX,
        "by_appointment": False,
        "admission_criteria": [],
    }
    return ServiceFactory(**{**defaults, **kw})


def officer(**kw) -> User:
    return UserFactory(officer=True, **kw)


def provider(**kw) -> User:
    return UserFactory(provider=True, **kw)


def admin(**kw) -> User:
    """Program office staff with both the case manager and the program administrator duty."""
    return UserFactory(**kw)


def case_manager(**kw) -> User:
    return UserFactory(program_admin=False, **kw)


def program_admin(**kw) -> User:
    return UserFactory(case_manager=False, **kw)


def evaluator(**kw) -> User:
    """The read-only reports role."""
    return UserFactory(case_manager=False, program_admin=False, reports=True, **kw)


class ConsentFactory(Base):
    """A signed consent in force, naming the case's referring agency, for program status."""

    class Meta:
        model = Consent

    case = factory.SubFactory(CaseFactory, active=True)
    legacy = False
    discloses_status = True
    discloses_attendance = False
    discloses_outcome = False
    recipient_kind = RecipientKind.AGENCY
    recipient_agency_id = factory.LazyAttribute(lambda o: o.case.agency_id)
    purpose = "Keep the referring officer informed of the participant's progress."
    revocation_terms = "In person or in writing to the program office, at any time."
    signed_on = factory.LazyFunction(local_today)
    signature_method = SignatureMethod.WET
    expiry_event = "Exit from the program"
