"""Service referrals: assigning a participant to a service, and the referral's life after that.

A pending or accepted referral holds one place of the service's capacity; declining, completing
or ending it gives the place back.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    COULD_NOT_REACH_LABEL,
    Case,
    CaseStatus,
    ContactAttempt,
    DeclineReason,
    Episode,
    Organization,
    ReferralStatus,
    Service,
    ServiceKind,
    ServiceReferral,
    ServiceStatus,
    TimelineEntry,
    TimelineKind,
    User,
)
from portal.policy import (
    can_decide_service_referral,
    can_manage_case,
    can_record_contact_attempt,
    require,
)
from portal.services.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    ValidationFailed,
)
from portal.services.timeline import add_entry

OPEN_STATUSES = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)
REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.PENDING: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.COMPLETED, ReferralStatus.ENDED}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
    ReferralStatus.ENDED: frozenset(),
}
KIND = {
    ReferralStatus.ACCEPTED: TimelineKind.SERVICE_ACCEPTED,
    ReferralStatus.DECLINED: TimelineKind.SERVICE_DECLINED,
    ReferralStatus.COMPLETED: TimelineKind.SERVICE_COMPLETED,
    ReferralStatus.ENDED: TimelineKind.SERVICE_ENDED,
}


# Why the person is referred to the service: the provider reads it in the referral packet.
NOTE_MAX = 500
DECIDE_MESSAGE = "Only the provider's staff or the program office can do this."


class NoCapacity(DomainError):
    """The service has no free place now (full, or not open for new referrals)."""


class ProviderInactive(DomainError):
    """The service's organisation was deactivated: it takes no new referrals."""


def drop_in_message(service: Service) -> str:
    return (
        f"{service.name} is a drop-in service: participants walk in without a referral, and "
        "the provider records their visits."
    )


def reserve_place(service_id: int) -> None:
    """Take one place atomically: of two people taking the last place at once, one fails."""
    result = db.session.execute(
        update(Service)
        .where(
            Service.id == service_id,
            Service.capacity_available > 0,
            Service.status == ServiceStatus.ACTIVE,
        )
        .values(capacity_available=Service.capacity_available - 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NoCapacity("This service has no place available now.")
    _refresh_capacity(service_id)


def release_place(service_id: int) -> None:
    """Give one place back, never beyond the service's maximum."""
    db.session.execute(
        update(Service)
        .where(
            Service.id == service_id,
            Service.kind != ServiceKind.DROP_IN,  # no places to give back
            (Service.capacity_max.is_(None)) | (Service.capacity_available < Service.capacity_max),
        )
        .values(capacity_available=Service.capacity_available + 1)
        .execution_options(synchronize_session=False)
    )
    _refresh_capacity(service_id)


def _refresh_capacity(service_id: int) -> None:
    service = db.session.get(Service, service_id)
    if service is not None:
        db.session.refresh(service, ["capacity_available"])


def service_of(referral: ServiceReferral) -> Service:
    service = db.session.get(Service, referral.service_id)
    assert service is not None
    return service


def entry_payload(service: Service, **extra) -> dict:
    """What a service referral's timeline entry names: the service and its provider."""
    organization = db.session.get(Organization, service.organization_id)
    return {
        "service_name": service.name,
        "organization_name": organization.name if organization else "",
        **{k: v for k, v in extra.items() if v not in (None, "")},
    }


def is_awaiting_decision(referral: ServiceReferral) -> bool:
    """A pending referral waits for the provider to accept or decline it."""
    return referral.status == ReferralStatus.PENDING


def takes_services(case: Case) -> bool:
    """Only an active participant is referred to services."""
    return case.status == CaseStatus.ACTIVE


def assign_service(case: Case, service: Service, actor: User, note: str = "") -> ServiceReferral:
    """The program office refers an active participant to a service, reserving a place."""
    require(can_manage_case(actor), "Only the program office assigns services.")
    if not takes_services(case):
        raise InvalidTransition("Services can be assigned only to an active participant.")
    if service.is_drop_in:
        raise ValidationFailed(drop_in_message(service))
    if len(note.strip()) > NOTE_MAX:
        raise ValidationFailed(f"Say why in at most {NOTE_MAX} characters.", field="note")
    organization = db.session.get(Organization, service.organization_id)
    if organization is None or not organization.active:
        raise ProviderInactive("This provider is not taking referrals (it is inactive).")
    # Reserve first: the update locks the service row (PostgreSQL) or the database (SQLite), so
    # a simultaneous second assignment of the same service waits here and then sees the first.
    reserve_place(service.id)
    already = db.session.scalar(
        select(
            exists().where(
                ServiceReferral.case_id == case.id,
                ServiceReferral.service_id == service.id,
                ServiceReferral.status.in_(OPEN_STATUSES),
            )
        )
    )
    if already:
        raise ValidationFailed("This participant already has an open referral to this service.")
    referral = ServiceReferral(
        case_id=case.id,
        service_id=service.id,
        status=ReferralStatus.PENDING,
        note=note.strip(),
        created_by_id=actor.id,
    )
    db.session.add(referral)
    db.session.flush()
    add_entry(
        case,
        TimelineKind.SERVICE_REFERRED,
        actor,
        payload=entry_payload(service, note=note.strip(), referral_id=referral.id),
        organization_id=service.organization_id,
    )
    db.session.flush()
    return referral


def _move(referral: ServiceReferral, target: ReferralStatus, actor: User, **payload) -> Service:
    """Move a referral for an actor who must be allowed to decide on its service."""
    require(can_decide_service_referral(actor, service_of(referral)), DECIDE_MESSAGE)
    return _move_unchecked(referral, target, actor, **payload)


def _move_unchecked(
    referral: ServiceReferral, target: ReferralStatus, actor: User | None, **payload
) -> Service:
    """Move a referral without asking whether the actor may: only for a caller that already has.

    The transition rule, the concurrent-change check, the place and the timeline entry still apply.
    """
    service = service_of(referral)
    if target not in REFERRAL_TRANSITIONS[referral.status]:
        raise InvalidTransition(
            f"A {referral.status.label.lower()} referral cannot become {target.label.lower()}."
        )
    # Move only from the status this request saw: of two simultaneous decisions (a double tap,
    # two staff members) one wins and the other is refused, so a place is never released twice.
    moved = db.session.execute(
        update(ServiceReferral)
        .where(ServiceReferral.id == referral.id, ServiceReferral.status == referral.status)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict("This referral was changed by someone else meanwhile. Reload and check it.")
    referral.status = target
    now = utcnow()
    if target in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
        referral.decided_by_id, referral.decided_at = (actor.id if actor else None), now
    else:
        referral.closed_at = now
    if target in (ReferralStatus.DECLINED, ReferralStatus.COMPLETED, ReferralStatus.ENDED):
        release_place(service.id)
    case = db.session.get(Case, referral.case_id)
    add_entry(
        case,
        KIND[target],
        actor,
        payload=entry_payload(service, referral_id=referral.id, **payload),
        organization_id=service.organization_id,
    )
    db.session.flush()
    return service


def accept_service_referral(referral: ServiceReferral, actor: User) -> ServiceReferral:
    """The provider takes the participant on; the first acceptance tells the officer 'engaged'."""
    service = service_of(referral)
    require(can_decide_service_referral(actor, service), DECIDE_MESSAGE)
    if service.is_drop_in:
        # A referral from before the service became drop-in: nothing to accept now.
        raise InvalidTransition(f"{drop_in_message(service)} Decline or end this referral.")
    if service.status != ServiceStatus.ACTIVE:
        raise InvalidTransition(
            f"{service.name} is {service.status.label.lower()}: it cannot take participants now."
        )
    case = db.session.get(Case, referral.case_id)
    if case.status != CaseStatus.ACTIVE:
        raise InvalidTransition("The participant is no longer in the program.")
    _move(referral, ReferralStatus.ACCEPTED, actor)
    mark_engaged(case, actor)
    return referral


def mark_engaged(case: Case, actor: User | None) -> None:
    """The participant's first engagement with a service (an acceptance, an admission) tells
    the officer 'engaged in services' (status only, under a consent); later ones add nothing."""
    engaged = db.session.scalar(
        select(
            exists().where(
                TimelineEntry.case_id == case.id, TimelineEntry.kind == TimelineKind.ENGAGED
            )
        )
    )
    if not engaged:
        add_entry(case, TimelineKind.ENGAGED, actor)
        db.session.flush()


def decline_service_referral(
    referral: ServiceReferral, actor: User, reason: DeclineReason, note: str = ""
) -> ServiceReferral:
    """The provider cannot take the participant; the reserved place is released. "Could not
    reach" is not chosen here: it closes a referral after attempts (`close_unreachable`)."""
    if reason == DeclineReason.COULD_NOT_REACH:
        raise ValidationFailed(UNREACHABLE_HERE, field="reason")
    referral.decline_reason = reason
    _move(referral, ReferralStatus.DECLINED, actor, reason=reason.label, note=note.strip())
    return referral


def _not_mid_episode(referral: ServiceReferral) -> None:
    """A participant admitted to an episode leaves it by the provider's discharge, which closes
    the referral with its outcome (and a step-down); the office cannot close it under them."""
    admitted = db.session.scalar(
        select(Episode.admitted_on).where(
            Episode.service_referral_id == referral.id, Episode.discharged_on.is_(None)
        )
    )
    if admitted is not None:
        raise InvalidTransition(
            f"The participant was admitted on {admitted:%b %-d, %Y} and is not discharged: the "
            "provider records the discharge, which closes this referral with its outcome."
        )


def complete_service_referral(
    referral: ServiceReferral, actor: User, note: str = ""
) -> ServiceReferral:
    """The participant finished the service; the place is released."""
    _not_mid_episode(referral)
    _move(referral, ReferralStatus.COMPLETED, actor, note=note.strip())
    return referral


def end_service_referral(referral: ServiceReferral, actor: User, reason: str) -> ServiceReferral:
    """The service ended early (for the stated reason); the place is released."""
    if not reason.strip():
        raise ValidationFailed("Give the reason the service ended.", field="reason")
    _not_mid_episode(referral)
    referral.end_reason = reason.strip()[:255]
    _move(referral, ReferralStatus.ENDED, actor, reason=reason.strip())
    return referral


UNREACHABLE_HERE = "Record the attempts to reach the person, then close it as could not reach."
NO_ATTEMPTS = (
    "Record at least one attempt to reach the person before closing the referral as could not"
    " reach."
)
CLOSE_UNREACHABLE_MESSAGE = "Only the provider's staff close their referral as could not reach."


def attempt_count(referral_id: int) -> int:
    """How many attempts to reach the participant were recorded on a referral."""
    return db.session.scalar(
        select(func.count())
        .select_from(ContactAttempt)
        .where(ContactAttempt.service_referral_id == referral_id)
    )


def close_unreachable(referral: ServiceReferral, actor: User) -> ServiceReferral:
    """The provider's staff tried and could not reach the participant: a pending referral is
    declined, an accepted one ended, "could not reach the person", and its place given back.
    Only after at least one recorded attempt."""
    service = service_of(referral)
    require(can_record_contact_attempt(actor, service), CLOSE_UNREACHABLE_MESSAGE)
    if referral.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"This referral is {referral.status.label.lower()}: only a pending or accepted one"
            " is closed as could not reach."
        )
    attempts = attempt_count(referral.id)
    if not attempts:
        raise ValidationFailed(NO_ATTEMPTS)
    tried = f"{attempts} attempt{'s' if attempts != 1 else ''} to reach the person"
    if referral.status == ReferralStatus.PENDING:
        referral.decline_reason = DeclineReason.COULD_NOT_REACH
        _move(referral, ReferralStatus.DECLINED, actor, reason=COULD_NOT_REACH_LABEL, note=tried)
    else:
        referral.end_reason = COULD_NOT_REACH_LABEL
        _move(referral, ReferralStatus.ENDED, actor, reason=COULD_NOT_REACH_LABEL, note=tried)
    return referral


def is_unreachable(referral: ServiceReferral) -> bool:
    """The referral was closed because the provider could not reach the participant."""
    return (
        referral.decline_reason == DeclineReason.COULD_NOT_REACH
        or referral.end_reason == COULD_NOT_REACH_LABEL
    )


def held_places(service_id: int) -> int:
    """Places held by open referrals (pending or accepted) to a service."""
    return db.session.scalar(
        select(func.count())
        .select_from(ServiceReferral)
        .where(ServiceReferral.service_id == service_id, ServiceReferral.status.in_(OPEN_STATUSES))
    )


LEFT_PROGRAM = "The participant left the program."


def close_open_referrals(case: Case, actor: User | None) -> int:
    """A participant who leaves the program gives back every place their open referrals hold.

    Pending referrals are declined and accepted ones ended; the case's exit was already
    authorised (by the caller), so the provider's permission is not asked again.
    """
    open_referrals = db.session.scalars(
        select(ServiceReferral)
        .where(ServiceReferral.case_id == case.id, ServiceReferral.status.in_(OPEN_STATUSES))
        .order_by(ServiceReferral.id)
    ).all()
    for referral in open_referrals:
        if referral.status == ReferralStatus.PENDING:
            referral.decline_reason = DeclineReason.OTHER
            _move_unchecked(referral, ReferralStatus.DECLINED, actor, reason=LEFT_PROGRAM)
        else:
            referral.end_reason = LEFT_PROGRAM
            _move_unchecked(referral, ReferralStatus.ENDED, actor, reason=LEFT_PROGRAM)
    return len(open_referrals)
