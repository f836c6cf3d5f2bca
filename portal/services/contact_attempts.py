"""Provider staff's attempts to reach a participant referred to their service: recorded on a
pending or accepted referral, seen by that organisation and the program office (never by an
officer), and the ground for closing the referral as "could not reach the person"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import (
    AttemptMethod,
    Case,
    ContactAttempt,
    Organization,
    Service,
    ServiceReferral,
    TimelineKind,
    User,
)
from portal.policy import can_record_contact_attempt, require
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import InvalidTransition, ValidationFailed
from portal.services.referrals import OPEN_STATUSES, attempt_count
from portal.services.timeline import add_entry

NOTE_MAX = 500
# Attempts a referral holds at most: its list stays bounded, and past this many it is time to
# close the referral as could not reach.
MAX_ATTEMPTS = 30
NO_METHOD = "Choose how you tried to reach the person."
FUTURE = "An attempt cannot be recorded for a date in the future."
BEFORE_REFERRAL = "The referral was made on {referred_on}: choose that day or later."


def record_attempt(
    referral: ServiceReferral,
    actor: User,
    attempted_on: dt.date | None,
    method: str,
    note: str = "",
) -> ContactAttempt:
    """Record one attempt to reach the participant of a pending or accepted referral (the
    organisation's own), on a day from the referral to today, with the case's timeline entry;
    at most MAX_ATTEMPTS a referral."""
    service = db.session.get(Service, referral.service_id)
    require(
        can_record_contact_attempt(actor, service),
        "Only the provider's staff record attempts to reach the person.",
    )
    if referral.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"This referral is {referral.status.label.lower()}: attempts are recorded on a"
            " pending or accepted referral only."
        )
    if attempt_count(referral.id) >= MAX_ATTEMPTS:
        raise ValidationFailed(
            f"{MAX_ATTEMPTS} attempts are recorded on this referral: close it as could not reach"
            " the person, or ask the case manager."
        )
    if attempted_on is None:
        raise ValidationFailed("Enter the date of the attempt.", field="attempted_on")
    require_not_future(attempted_on, "attempted_on", FUTURE)
    require_not_before(attempted_on, referral.created_at, "attempted_on", BEFORE_REFERRAL)
    try:
        chosen = AttemptMethod(method)
    except ValueError:
        raise ValidationFailed(
            "Choose how you tried to reach the person.", field="method"
        ) from None
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"Use at most {NOTE_MAX} characters.", field="note")
    attempt = ContactAttempt(
        service_referral_id=referral.id,
        attempted_on=attempted_on,
        method=chosen,
        note=note,
        recorded_by_id=actor.id,
    )
    db.session.add(attempt)
    db.session.flush()
    organization = db.session.get(Organization, service.organization_id)
    add_entry(
        db.session.get(Case, referral.case_id),
        TimelineKind.REACH_ATTEMPTED,
        actor,
        payload={
            "service_name": service.name,
            "organization_name": organization.name if organization else "",
            "attempted_on": f"{attempted_on:%b %-d, %Y}",
            "contact_kind": chosen.label,
            "referral_id": referral.id,
            **({"note": note} if note else {}),
        },
        organization_id=service.organization_id,
    )
    db.session.flush()
    return attempt


def attempts_by_referral(referral_ids: list[int]) -> dict[int, list[ContactAttempt]]:
    """The attempts of these referrals (the caller's scope decided which), newest first, by
    referral id, in one query."""
    found: dict[int, list[ContactAttempt]] = {rid: [] for rid in referral_ids}
    if referral_ids:
        for attempt in db.session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.service_referral_id.in_(referral_ids))
            .options(joinedload(ContactAttempt.recorded_by))
            .order_by(ContactAttempt.attempted_on.desc(), ContactAttempt.id.desc())
        ):
            found[attempt.service_referral_id].append(attempt)
    return found
