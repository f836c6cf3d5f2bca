"""Service matching: the program's active services ranked against a case's latest assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from portal.clock import local_now
from portal.extensions import db
from portal.models import (
    Assessment,
    Case,
    NeedDomain,
    NeedLevel,
    Organization,
    ReferralStatus,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceReferral,
    ServiceSchedule,
    ServiceStatus,
    User,
)
from portal.services.assessments import latest_assessment
from portal.services.errors import ValidationFailed
from portal.services.referrals import OPEN_STATUSES, assign_service

PRIMARY, SECONDARY = 2, 1

# Which needs each category of service meets, and how directly (primary or secondary).
CATEGORY_DOMAINS: dict[ServiceCategory, dict[NeedDomain, int]] = {
    ServiceCategory.DETOX: {NeedDomain.SUBSTANCE_USE: SECONDARY},
    ServiceCategory.CRISIS: {
        NeedDomain.SUBSTANCE_USE: SECONDARY,
        NeedDomain.MENTAL_HEALTH: SECONDARY,
    },
    ServiceCategory.HARM_REDUCTION: {
        NeedDomain.SUBSTANCE_USE: PRIMARY,
        NeedDomain.MEDICAL: SECONDARY,
    },
    ServiceCategory.TREATMENT: {NeedDomain.SUBSTANCE_USE: PRIMARY},
    ServiceCategory.COUNSELLING: {
        NeedDomain.SUBSTANCE_USE: PRIMARY,
        NeedDomain.MENTAL_HEALTH: PRIMARY,
    },
    ServiceCategory.SUPPORT_GROUP: {NeedDomain.SUBSTANCE_USE: PRIMARY},
    ServiceCategory.MENTAL_HEALTH: {NeedDomain.MENTAL_HEALTH: PRIMARY},
    ServiceCategory.HOUSING: {NeedDomain.HOUSING: PRIMARY},
    ServiceCategory.BENEFITS: {NeedDomain.INCOME: PRIMARY},
    ServiceCategory.EMPLOYMENT: {NeedDomain.EMPLOYMENT: PRIMARY, NeedDomain.INCOME: SECONDARY},
    ServiceCategory.MEDICAL: {NeedDomain.MEDICAL: PRIMARY},
    ServiceCategory.LEGAL: {NeedDomain.LEGAL: PRIMARY},
    ServiceCategory.FAMILY: {NeedDomain.FAMILY: PRIMARY},
}
# Withdrawal needs medical care first: with detox needed these come before every other service.
DETOX_PRIORITY = {ServiceCategory.DETOX: 2, ServiceCategory.CRISIS: 1}


@dataclass(frozen=True)
class MatchFilters:
    category: ServiceCategory | None = None
    organization_id: int | None = None
    with_capacity: bool = False
    service_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class NextSession:
    starts: dt.datetime
    ends: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.starts:%a %b %-d}, {self.starts:%-I:%M %p}-{self.ends:%-I:%M %p}"


@dataclass(frozen=True)
class Match:
    """One service as seen for one participant: why it fits, and whether it can be assigned."""

    service: Service
    score: int
    meets: list[tuple[NeedDomain, NeedLevel]]
    detox_priority: int
    eligible: bool
    eligibility_note: str
    next_session: NextSession | None
    referral_status: ReferralStatus | None
    reasons: list[str] = field(default_factory=list)

    @property
    def has_capacity(self) -> bool:
        """A place is free; a drop-in has no places and always lets people walk in."""
        return self.service.is_drop_in or self.service.capacity_available > 0

    @property
    def assigned(self) -> bool:
        return self.referral_status is not None


def age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def age_rule(service: Service) -> str:
    low, high = service.min_age, service.max_age
    if low is not None and high is not None:
        return f"ages {low} to {high}"
    if low is not None:
        return f"ages {low} and over"
    if high is not None:
        return f"ages {high} and under"
    return "all ages"


def is_age_eligible(service: Service, age: int) -> bool:
    """A service's age limits (inclusive) admit a person of this age."""
    return (service.min_age is None or age >= service.min_age) and (
        service.max_age is None or age <= service.max_age
    )


def next_session(schedules: list[ServiceSchedule], now: dt.datetime) -> NextSession | None:
    """The next (or current) weekly session after `now`, in `now`'s time zone."""
    best = None
    for s in schedules:
        days = (s.weekday - now.weekday()) % 7
        day = now.date() + dt.timedelta(days=days)
        if days == 0 and now.time() >= s.closes_at:
            day += dt.timedelta(days=7)
        starts = dt.datetime.combine(day, s.opens_at, tzinfo=now.tzinfo)
        ends = dt.datetime.combine(day, s.closes_at, tzinfo=now.tzinfo)
        if best is None or starts < best.starts:
            best = NextSession(starts, ends)
    return best


def _score(
    service: Service, levels: dict[NeedDomain, NeedLevel]
) -> tuple[int, list[tuple[NeedDomain, NeedLevel]]]:
    """Higher need first; a service meeting it directly beats one meeting it in part; the
    other needs it meets break ties."""
    weights = CATEGORY_DOMAINS.get(service.category, {})
    meets = sorted(
        ((d, levels[d]) for d in weights if levels.get(d, NeedLevel.NONE) != NeedLevel.NONE),
        key=lambda pair: (-pair[1].rank, -weights[pair[0]], list(NeedDomain).index(pair[0])),
    )
    scores = [lvl.rank * 10 + weights[d] for d, lvl in meets]
    return (scores[0] * 1000 + sum(scores[1:]) if scores else 0), meets


def services_query(filters: MatchFilters):
    """Active services of active organisations, with their organisation and schedules."""
    query = (
        select(Service)
        .join(Service.organization)
        .where(Service.status == ServiceStatus.ACTIVE, Organization.active.is_(True))
        .options(contains_eager(Service.organization), selectinload(Service.schedules))
        .order_by(Service.name, Service.id)
    )
    if filters.category:
        query = query.where(Service.category == filters.category)
    if filters.organization_id:
        query = query.where(Service.organization_id == filters.organization_id)
    if filters.with_capacity:
        # A drop-in service needs no place: it stays in the list, as walk-in information.
        query = query.where(
            (Service.capacity_available > 0) | (Service.kind == ServiceKind.DROP_IN)
        )
    if filters.service_ids is not None:
        query = query.where(Service.id.in_(filters.service_ids))
    return query


def open_referrals(case: Case) -> dict[int, ReferralStatus]:
    """The services this case already holds a place in, with the referral's state."""
    rows = db.session.execute(
        select(ServiceReferral.service_id, ServiceReferral.status).where(
            ServiceReferral.case_id == case.id, ServiceReferral.status.in_(OPEN_STATUSES)
        )
    )
    return dict(rows.all())


def rank_services(
    case: Case,
    filters: MatchFilters | None = None,
    assessment: Assessment | None = None,
    dob: dt.date | None = None,
) -> list[Match]:
    """Services ranked by the highest need they meet (detox first when detox is needed);
    services the person is too young or too old for come last, marked as such.
    `case.person` must be loaded, or `dob` given."""
    filters = filters or MatchFilters()
    assessment = assessment if assessment is not None else latest_assessment(case)
    levels = {n.domain: n.level for n in assessment.needs} if assessment else {}
    detox_needed = bool(assessment and assessment.detox_needed)
    now = local_now()
    age = age_on(dob or case.person.dob, now.date())
    held = open_referrals(case)
    matches = []
    for service in db.session.scalars(services_query(filters)).unique():
        score, meets = _score(service, levels)
        detox_priority = DETOX_PRIORITY.get(service.category, 0) if detox_needed else 0
        eligible = is_age_eligible(service, age)
        rule = age_rule(service)
        note = (
            f"Eligible ({rule})"
            if eligible
            else f"Not eligible by age: {rule}; the person is {age}"
        )
        reasons = [f"{lvl.label} {d.label.lower()} need" for d, lvl in meets]
        if detox_priority:
            reasons.insert(0, "Detox needed")
        matches.append(
            Match(
                service=service,
                score=score,
                meets=meets,
                detox_priority=detox_priority,
                eligible=eligible,
                eligibility_note=note,
                next_session=next_session(service.schedules, now),
                referral_status=held.get(service.id),
                reasons=reasons,
            )
        )
    matches.sort(
        key=lambda m: (
            not m.eligible,
            -m.detox_priority,
            -m.score,
            m.service.name.lower(),
            m.service.id,
        )
    )
    return matches


def match_for(case: Case, service_id: int) -> Match | None:
    """The one row of the matching list for a service (after an assignment, for example)."""
    rows = rank_services(case, MatchFilters(service_ids=(service_id,)))
    return rows[0] if rows else None


def assign_matched(case: Case, service: Service, actor: User, note: str = "") -> ServiceReferral:
    """Assign a service from the matching list: never one the person is not eligible for by age."""
    age = age_on(case.person.dob, local_now().date())
    if not is_age_eligible(service, age):
        raise ValidationFailed(
            f"The person ({age}) is not eligible for {service.name} by age ({age_rule(service)})."
        )
    return assign_service(case, service, actor, note)
