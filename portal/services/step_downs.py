"""The case manager's side of an episode: a step-down the provider named at discharge is
confirmed (the referral to that service is made, as matching makes one) or declined with a
reason; the case page's episodes and the queue's step-downs waiting."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    Case,
    Episode,
    Service,
    ServiceReferral,
    ServiceStatus,
    StepDownState,
    TimelineKind,
    User,
)
from portal.policy import can_decide_step_down, require
from portal.services import referrals
from portal.services.episodes import REASON_MAX, case_of, entry_payload, service_of
from portal.services.errors import InvalidTransition, ValidationFailed
from portal.services.timeline import add_entry


def _proposed(episode: Episode, actor: User) -> tuple[ServiceReferral, Service, Service]:
    require(can_decide_step_down(actor), "Only the program office's case managers decide this.")
    if episode.step_down_state != StepDownState.PROPOSED:
        state = episode.step_down_state.label.lower() if episode.step_down_state else "none"
        raise InvalidTransition(f"There is no step-down waiting for a decision ({state}).")
    referral = db.session.get(ServiceReferral, episode.service_referral_id)
    target = db.session.get(Service, episode.step_down_service_id)
    return referral, service_of(referral), target


def confirm_step_down(episode: Episode, actor: User) -> ServiceReferral:
    """Make the referral to the step-down service the provider named, as matching makes one
    (an active participant, an active service of an active provider with a free place, which
    it reserves); refused with the reason otherwise, nothing saved."""
    referral, service, target = _proposed(episode, actor)
    case = case_of(referral)
    if target.status != ServiceStatus.ACTIVE:
        raise ValidationFailed(
            f"{target.name} is {target.status.label.lower()}: it takes no referrals now. "
            "Decline the step-down and assign another service."
        )
    try:
        created = referrals.assign_service(
            case, target, actor, note=f"Step-down from {service.name}."
        )
    except referrals.NoCapacity:
        raise referrals.NoCapacity(
            f"{target.name} has no place available now: confirm the step-down when one frees "
            "up, or decline it and assign another service."
        ) from None
    except referrals.ProviderInactive:
        raise referrals.ProviderInactive(
            f"{target.name}'s provider is inactive: decline the step-down and assign another "
            "service."
        ) from None
    episode.step_down_state = StepDownState.CONFIRMED
    episode.step_down_referral_id = created.id
    episode.step_down_decided_by_id, episode.step_down_decided_at = actor.id, utcnow()
    add_entry(
        case,
        TimelineKind.STEP_DOWN_CONFIRMED,
        actor,
        payload=entry_payload(service, step_down_service=target.name, referral_id=created.id),
        organization_id=service.organization_id,
    )
    db.session.flush()
    return created


def decline_step_down(episode: Episode, reason: str, actor: User) -> Episode:
    """The case manager does not make the step-down referral, for the reason given."""
    referral, service, target = _proposed(episode, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason the step-down is declined.", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"Use at most {REASON_MAX} characters.", field="reason")
    episode.step_down_state = StepDownState.DECLINED
    episode.step_down_reason = reason
    episode.step_down_decided_by_id, episode.step_down_decided_at = actor.id, utcnow()
    add_entry(
        case_of(referral),
        TimelineKind.STEP_DOWN_DECLINED,
        actor,
        payload=entry_payload(service, step_down_service=target.name, reason=reason),
        organization_id=service.organization_id,
    )
    db.session.flush()
    return episode


# --- what the office sees --------------------------------------------------------------------


def case_episodes(case: Case) -> list[Episode]:
    """The case's episodes, newest admission first, with their referral's service."""
    return list(
        db.session.scalars(
            select(Episode)
            .join(ServiceReferral, ServiceReferral.id == Episode.service_referral_id)
            .where(ServiceReferral.case_id == case.id)
            .options(
                joinedload(Episode.service_referral).joinedload(ServiceReferral.service),
                joinedload(Episode.step_down_service).joinedload(Service.organization),
            )
            .order_by(Episode.admitted_on.desc(), Episode.id.desc())
        )
    )


PENDING_LIST = 20  # proposed step-downs listed on the queue, at most (oldest first)


def proposed_step_downs(
    condition=None, limit: int = PENDING_LIST
) -> tuple[int, list[tuple[Episode, Case]]]:
    """Step-downs waiting for a case manager (of the cases `condition` keeps): how many, and
    the oldest few with their case (one statement: the count rides on each row)."""
    query = (
        select(Episode, Case, func.count().over().label("waiting"))
        .join(ServiceReferral, ServiceReferral.id == Episode.service_referral_id)
        .join(Case, Case.id == ServiceReferral.case_id)
        .where(Episode.step_down_state == StepDownState.PROPOSED)
    )
    if condition is not None:
        query = query.where(condition)
    rows = db.session.execute(
        query.options(
            joinedload(Episode.step_down_service),
            joinedload(Episode.service_referral).joinedload(ServiceReferral.service),
            joinedload(Case.person),
            joinedload(Case.case_manager),
        )
        .order_by(Episode.discharged_on, Episode.id)
        .limit(limit)
    ).all()
    return (rows[0].waiting if rows else 0), [(e, c) for e, c, _ in rows]


def get_episode_of_case(case: Case, episode_id: int) -> Episode | None:
    """One of the case's episodes (None for any other)."""
    return db.session.scalar(
        select(Episode)
        .join(ServiceReferral, ServiceReferral.id == Episode.service_referral_id)
        .where(Episode.id == episode_id, ServiceReferral.case_id == case.id)
    )
