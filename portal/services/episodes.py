"""Episodes of an episode service (detox, crisis stabilisation, residential).

The provider admits a participant whose referral it accepted (answering the service's admission
criteria), then discharges them with an outcome; the discharge closes the referral and gives
its place back. A discharge "stepped down" names the next service: the case manager confirms
it (which makes that referral, as matching would) or declines it with a reason (see
step_downs). Each change is one transaction with its timeline entry, scoped to the episode's
provider; none of these entries ever reaches an officer (they are in none of the disclosure
rule's kinds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
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
from portal.policy import can_record_episode, require
from portal.services import referrals
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import Conflict, InvalidTransition, ValidationFailed
from portal.services.referrals import entry_payload, service_of
from portal.services.timeline import add_entry

NOTE_MAX = 2000
REASON_MAX = 500
STEP_DOWN_CHOICES = 200  # services offered as a step-down, at most
NOT_YOURS = "This participant is not on your organisation's roster."
NOT_CONFIRMED = (
    "Not confirmed: {criterion}. Admission needs every criterion confirmed; if the person does "
    "not meet them, they are not eligible: end the referral (or ask the program office to)."
)


def case_of(referral: ServiceReferral) -> Case:
    case = db.session.get(Case, referral.case_id)
    assert case is not None
    return case


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
    service = service_of(referral)
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
    case = case_of(referral)
    add_entry(
        case,
        TimelineKind.EPISODE_ADMITTED,
        actor,
        payload=entry_payload(
            service, admitted_on=admitted_on.isoformat(), referral_id=referral.id
        ),
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
    service = service_of(referral)
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
        case_of(referral),
        TimelineKind.EPISODE_DISCHARGED,
        actor,
        payload=entry_payload(
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
