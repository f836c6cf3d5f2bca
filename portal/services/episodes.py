"""Episodes of an episode service (detox, crisis stabilisation, residential).

The provider admits a participant whose referral it accepted (answering the service's admission
criteria), then discharges them with an outcome; the discharge closes the referral and gives
its place back. A discharge "stepped down" names the next service: the case manager confirms
it (which makes that referral, as matching would) or declines it with a reason. Each change is
one transaction with its timeline entry, scoped to the episode's provider; none of these
entries ever reaches an officer (they are in none of the disclosure rule's kinds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.database import savepoint
from portal.extensions import db
from portal.models import (
    Case,
    DischargeOutcome,
    Episode,
    Organization,
    ReferralStatus,
    Service,
    ServiceKind,
    ServiceReferral,
    ServiceStatus,
    StepDownState,
    TimelineKind,
    User,
)
from portal.policy import can_decide_step_down, can_record_episode, require
from portal.services import referrals
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import Conflict, InvalidTransition, ValidationFailed
from portal.services.timeline import add_entry

NOTE_MAX = 2000
REASON_MAX = 500
STEP_DOWN_CHOICES = 200  # services offered as a step-down, at most
NOT_YOURS = "This participant is not on your organisation's roster."
NOT_CONFIRMED = (
    "Not confirmed: {criterion}. Admission needs every criterion confirmed; if the person does "
    "not meet them, they are not eligible: end the referral (or ask the program office to)."
)


def _service(referral: ServiceReferral) -> Service:
    service = db.session.get(Service, referral.service_id)
    assert service is not None
    return service


def _case(referral: ServiceReferral) -> Case:
    case = db.session.get(Case, referral.case_id)
    assert case is not None
    return case


def _payload(service: Service, **extra) -> dict:
    organization = db.session.get(Organization, service.organization_id)
    return {
        "service_name": service.name,
        "organization_name": organization.name if organization else "",
        **{k: v for k, v in extra.items() if v not in (None, "")},
    }


def episode_of(referral_id: int) -> Episode | None:
    """The referral's episode, if the participant was admitted."""
    return db.session.scalar(select(Episode).where(Episode.service_referral_id == referral_id))


def episodes_of(referral_ids: list[int]) -> dict[int, Episode]:
    """The episodes of these referrals (one query), by referral id."""
    if not referral_ids:
        return {}
    rows = db.session.scalars(
        select(Episode)
        .where(Episode.service_referral_id.in_(referral_ids))
        .options(joinedload(Episode.step_down_service))
    )
    return {e.service_referral_id: e for e in rows}


def awaits_admission(referral: ServiceReferral, episode: Episode | None) -> bool:
    """An accepted referral to an episode service whose participant is not admitted yet."""
    return (
        referral.status == ReferralStatus.ACCEPTED
        and episode is None
        and referral.service.is_episode
    )


# --- admission -------------------------------------------------------------------------------


def admit(
    referral: ServiceReferral, admitted_on: dt.date | None, confirmed: set[int], actor: User
) -> Episode:
    """Admit the participant of an accepted referral to an episode service, once: a date
    neither in the future nor before the referral, every admission criterion confirmed
    (`confirmed` holds the indexes of the criteria the provider ticked)."""
    service = _service(referral)
    require(can_record_episode(actor, service), NOT_YOURS)
    if not service.is_episode:
        raise ValidationFailed(
            f"{service.name} is not an episode service: record attendance at its sessions."
        )
    if referral.status == ReferralStatus.PENDING:
        raise InvalidTransition("Accept the referral before admitting the participant.")
    if referral.status != ReferralStatus.ACCEPTED:
        raise InvalidTransition(
            f"This referral is {referral.status.label.lower()}: the participant cannot be "
            "admitted on it."
        )
    existing = episode_of(referral.id)
    if existing is not None:
        raise InvalidTransition(f"Already admitted on {existing.admitted_on:%b %-d, %Y}.")
    if admitted_on is None:
        raise ValidationFailed("Enter the date of admission.", field="admitted_on")
    require_not_future(admitted_on, "admitted_on", "The admission date cannot be in the future.")
    require_not_before(
        admitted_on,
        referral.created_at,
        "admitted_on",
        "The participant was referred to this service on {referred_on}; the admission "
        "cannot be earlier.",
    )
    criteria = list(service.admission_criteria or [])
    for index, criterion in enumerate(criteria):
        if index not in confirmed:
            raise ValidationFailed(NOT_CONFIRMED.format(criterion=criterion), field="criteria")
    episode = Episode(
        service_referral_id=referral.id,
        admitted_on=admitted_on,
        admitted_by_id=actor.id,
        admitted_at=utcnow(),
        criteria_answers=[{"criterion": c, "confirmed": True} for c in criteria],
        note="",
    )
    try:
        with savepoint(db.session):
            db.session.add(episode)
    except IntegrityError:  # a second submit (or a colleague) admitted them meanwhile
        raise Conflict(
            "This participant was admitted meanwhile (a second submit, or a colleague). "
            "Reload the page to see the admission."
        ) from None
    case = _case(referral)
    add_entry(
        case,
        TimelineKind.EPISODE_ADMITTED,
        actor,
        payload=_payload(service, admitted_on=admitted_on.isoformat(), referral_id=referral.id),
        organization_id=service.organization_id,
    )
    referrals.mark_engaged(case, actor)  # an admission engages, as an acceptance does
    db.session.flush()
    return episode


# --- discharge -------------------------------------------------------------------------------


def step_down_problem(episode_service: Service, target: Service | None) -> str | None:
    """Why a service cannot be the step-down from this episode (None: it can)."""
    if target is None:
        return "Choose the service the participant steps down to."
    if target.id == episode_service.id:
        return f"The step-down must be another service than {episode_service.name}."
    if target.is_drop_in:
        return f"{target.name} is a drop-in service: it takes no referral. Choose another."
    if target.status != ServiceStatus.ACTIVE:
        return (
            f"{target.name} is {target.status.label.lower()}: it takes no referrals now. "
            "Choose another service."
        )
    organization = db.session.get(Organization, target.organization_id)
    if organization is None or not organization.active:
        return f"{target.name}'s provider is inactive: it takes no referrals. Choose another."
    return None


def step_down_choices(episode_service: Service) -> list[Service]:
    """Services a discharge may step down to: active, not drop-in, another than the episode's,
    of an active organisation; by provider and name, bounded."""
    return list(
        db.session.scalars(
            select(Service)
            .join(Organization, Organization.id == Service.organization_id)
            .where(
                Service.status == ServiceStatus.ACTIVE,
                Service.kind != ServiceKind.DROP_IN,
                Service.id != episode_service.id,
                Organization.active.is_(True),
            )
            .options(joinedload(Service.organization))
            .order_by(Organization.name, Service.name, Service.id)
            .limit(STEP_DOWN_CHOICES)
        )
    )


@dataclass(frozen=True)
class Discharge:
    """What the provider enters at discharge."""

    discharged_on: dt.date | None
    outcome: str | None
    step_down_service_id: int | None = None
    note: str = ""


def _outcome(value: str | None) -> DischargeOutcome:
    try:
        return DischargeOutcome(value)
    except ValueError:
        raise ValidationFailed("Choose the outcome of the discharge.", field="outcome") from None


def discharge(episode: Episode, data: Discharge, actor: User) -> Episode:
    """Discharge an admitted participant: a date from the admission to today, an outcome (a
    note for Other, an active non-drop-in service of an active provider for a step-down). The
    referral closes (completed, or ended for any outcome but a completed stay) and its place
    is given back; a step-down waits for the case manager."""
    referral = db.session.get(ServiceReferral, episode.service_referral_id)
    service = _service(referral)
    require(can_record_episode(actor, service), NOT_YOURS)
    if episode.is_discharged:
        raise InvalidTransition(f"Already discharged on {episode.discharged_on:%b %-d, %Y}.")
    if referral.status != ReferralStatus.ACCEPTED:
        raise InvalidTransition(
            f"This referral is {referral.status.label.lower()}: ask the program office."
        )
    if data.discharged_on is None:
        raise ValidationFailed("Enter the date of discharge.", field="discharged_on")
    if data.discharged_on < episode.admitted_on:
        raise ValidationFailed(
            f"The discharge cannot be before the admission ({episode.admitted_on:%b %-d, %Y}).",
            field="discharged_on",
        )
    require_not_future(
        data.discharged_on, "discharged_on", "The discharge date cannot be in the future."
    )
    outcome = _outcome(data.outcome)
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"Use at most {NOTE_MAX:,} characters.", field="note")
    if outcome == DischargeOutcome.OTHER and not note:
        raise ValidationFailed("Say what happened: a note is needed for Other.", field="note")
    target = None
    if outcome == DischargeOutcome.STEPPED_DOWN:
        target = (
            db.session.get(Service, data.step_down_service_id)
            if data.step_down_service_id
            else None
        )
        problem = step_down_problem(service, target)
        if problem:
            raise ValidationFailed(problem, field="step_down_service_id")
    episode.discharged_on = data.discharged_on
    episode.discharged_by_id = actor.id
    episode.discharged_at = utcnow()
    episode.outcome = outcome
    episode.note = note
    if target is not None:
        episode.step_down_service_id = target.id
        episode.step_down_state = StepDownState.PROPOSED
    db.session.flush()  # a concurrent discharge moved the version: this one is refused here
    if outcome.completes_service:
        referrals.complete_service_referral(referral, actor)
    else:
        referrals.end_service_referral(referral, actor, outcome.label)
    add_entry(
        _case(referral),
        TimelineKind.EPISODE_DISCHARGED,
        actor,
        payload=_payload(
            service,
            discharged_on=data.discharged_on.isoformat(),
            outcome=outcome.label,
            step_down_service=target.name if target else None,
            note=note,
            referral_id=referral.id,
        ),
        organization_id=service.organization_id,
    )
    db.session.flush()
    return episode


# --- the case manager's step-down decision ---------------------------------------------------


def _proposed(episode: Episode, actor: User) -> tuple[ServiceReferral, Service, Service]:
    require(can_decide_step_down(actor), "Only the program office's case managers decide this.")
    if episode.step_down_state != StepDownState.PROPOSED:
        state = episode.step_down_state.label.lower() if episode.step_down_state else "none"
        raise InvalidTransition(f"There is no step-down waiting for a decision ({state}).")
    referral = db.session.get(ServiceReferral, episode.service_referral_id)
    target = db.session.get(Service, episode.step_down_service_id)
    return referral, _service(referral), target


def confirm_step_down(episode: Episode, actor: User) -> ServiceReferral:
    """Make the referral to the step-down service the provider named, as matching makes one
    (an active participant, an active service of an active provider with a free place, which
    it reserves); refused with the reason otherwise, nothing saved."""
    referral, service, target = _proposed(episode, actor)
    case = _case(referral)
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
        payload=_payload(service, step_down_service=target.name, referral_id=created.id),
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
        _case(referral),
        TimelineKind.STEP_DOWN_DECLINED,
        actor,
        payload=_payload(service, step_down_service=target.name, reason=reason),
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
    the oldest few with their case."""
    query = (
        select(Episode, Case)
        .join(ServiceReferral, ServiceReferral.id == Episode.service_referral_id)
        .join(Case, Case.id == ServiceReferral.case_id)
        .where(Episode.step_down_state == StepDownState.PROPOSED)
    )
    if condition is not None:
        query = query.where(condition)
    total = db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Episode.id).subquery())
    )
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
    return total, [(e, c) for e, c in rows]


def get_episode_of_case(case: Case, episode_id: int) -> Episode | None:
    """One of the case's episodes (None for any other)."""
    return db.session.scalar(
        select(Episode)
        .join(ServiceReferral, ServiceReferral.id == Episode.service_referral_id)
        .where(Episode.id == episode_id, ServiceReferral.case_id == case.id)
    )
