"""Consents to disclose to law enforcement (42 CFR Part 2): recording, revoking, and which one
holds for a recipient today.

A consent is in force from its signature until it is revoked or expires; expiry is a local date
compared when it is asked, so nothing has to run for it to take effect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.clock import local_today
from portal.database import lock_row
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    Consent,
    ConsentScope,
    Organization,
    RecipientKind,
    SignatureMethod,
    TimelineKind,
    User,
)
from portal.policy import can_manage_case, is_officer, require
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import InvalidTransition, ValidationFailed
from portal.services.timeline import add_entry

TEXT_MAX = 2000
NAME_MAX = 255
DEFAULT_REVOCATION = (
    "You may revoke this consent at any time, except as stated below, by telling the program "
    "office in person or in writing."
)


@dataclass
class ConsentData:
    """The elements of a written consent (section 2.31), as the office records them."""

    scopes: list[str]
    recipient_kind: str
    purpose: str
    signed_on: dt.date | None
    signature_method: str
    recipient_agency_id: int | None = None
    recipient_officer_id: int | None = None
    recipient_name: str = ""
    provider_ids: list[int] = field(default_factory=list)
    revocation_terms: str = DEFAULT_REVOCATION
    expires_on: dt.date | None = None
    expiry_event: str = ""
    criminal_justice: bool = False
    irrevocable_until: dt.date | None = None
    irrevocable_event: str = ""


def is_irrevocable(
    consent: Consent, today: dt.date | None = None, event_occurred: bool = False
) -> bool:
    """A criminal-justice consent (section 2.35) cannot be revoked until its stated date, or
    until its stated event has happened (which the office attests when it records the
    revocation)."""
    if not consent.criminal_justice:
        return False
    today = today or local_today()
    if consent.irrevocable_until is not None:
        return today <= consent.irrevocable_until
    return bool(consent.irrevocable_event) and not event_occurred


def consents_of(case: Case) -> list[Consent]:
    """Every consent of the case, newest first (legacy ones included, to be completed)."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.case_id == case.id)
            .order_by(Consent.created_at.desc(), Consent.id.desc())
        )
    )


def consents_for(case_ids: list[int]) -> dict[int, list[Consent]]:
    """The consents of these cases (every one; the policy decides which are in force), by case
    id, in one query."""
    found: dict[int, list[Consent]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        for consent in db.session.scalars(
            select(Consent).where(Consent.case_id.in_(case_ids)).order_by(Consent.id)
        ):
            found[consent.case_id].append(consent)
    return found


def _text(value: str, field_name: str, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"Enter {label}.", field=field_name)
    limit = NAME_MAX if field_name.endswith(("_name", "_event")) else TEXT_MAX
    if len(value) > limit:
        raise ValidationFailed(f"Use at most {limit:,} characters.", field=field_name)
    return value


def _check(case: Case, data: ConsentData) -> dict:
    """Every element checked before anything is written; the values to store."""
    if case.intake_completed_on is None:
        raise InvalidTransition("A consent is recorded at or after intake.")
    known = {s.value for s in ConsentScope}
    scopes = [s for s in dict.fromkeys(data.scopes or []) if s in known]
    if not scopes or len(scopes) != len(set(data.scopes or [])):
        raise ValidationFailed("Choose what may be disclosed.", field="scopes")
    try:
        kind = RecipientKind(data.recipient_kind)
    except ValueError:
        raise ValidationFailed("Choose who may receive it.", field="recipient_kind") from None
    values: dict = {
        "recipient_kind": kind,
        "recipient_agency_id": None,
        "recipient_officer_id": None,
        "recipient_name": None,
    }
    if kind == RecipientKind.AGENCY:
        agency = (
            db.session.get(Agency, data.recipient_agency_id) if data.recipient_agency_id else None
        )
        if agency is None or not agency.active:
            raise ValidationFailed(
                "Choose one of the program's agencies.", field="recipient_agency_id"
            )
        values["recipient_agency_id"] = agency.id
    elif kind == RecipientKind.OFFICER:
        officer = (
            db.session.get(User, data.recipient_officer_id) if data.recipient_officer_id else None
        )
        if officer is None or not is_officer(officer) or not officer.active:
            raise ValidationFailed(
                "Choose an officer of one of the program's agencies.", field="recipient_officer_id"
            )
        values["recipient_officer_id"] = officer.id
    else:
        values["recipient_name"] = _text(
            data.recipient_name, "recipient_name", "the prosecutor's office"
        )
    providers = sorted(set(data.provider_ids or []))
    if providers:
        found = set(
            db.session.scalars(select(Organization.id).where(Organization.id.in_(providers)))
        )
        if found != set(providers):
            raise ValidationFailed("Choose the program's providers only.", field="provider_ids")
    if data.signed_on is None:
        raise ValidationFailed("Enter the date it was signed.", field="signed_on")
    require_not_future(data.signed_on, "signed_on", "The signature date cannot be in the future.")
    require_not_before(
        data.signed_on,
        case.referred_at,
        "signed_on",
        "The signature date cannot be before the referral ({referred_on}).",
    )
    try:
        method = SignatureMethod(data.signature_method)
    except ValueError:
        raise ValidationFailed("Choose how it was signed.", field="signature_method") from None
    expiry_event = _text(data.expiry_event, "expiry_event", "", required=False)
    if data.expires_on is None and not expiry_event:
        raise ValidationFailed("Enter an expiry date or event.", field="expires_on")
    if data.expires_on is not None and data.expires_on < data.signed_on:
        raise ValidationFailed("The expiry cannot be before the signature.", field="expires_on")
    irrevocable_event = _text(data.irrevocable_event, "irrevocable_event", "", required=False)
    irrevocable_until = data.irrevocable_until
    if data.criminal_justice:
        if irrevocable_until is None and not irrevocable_event:
            raise ValidationFailed(
                "Enter the date or event until which it cannot be revoked.",
                field="irrevocable_until",
            )
        if irrevocable_until is not None and irrevocable_until < data.signed_on:
            raise ValidationFailed(
                "It cannot be irrevocable only until before it was signed.",
                field="irrevocable_until",
            )
        if irrevocable_until and data.expires_on and irrevocable_until > data.expires_on:
            raise ValidationFailed(
                "It cannot stay irrevocable after it expires.", field="irrevocable_until"
            )
    else:
        irrevocable_until, irrevocable_event = None, ""
    return values | {
        **{f"discloses_{s.value}": s.value in scopes for s in ConsentScope},
        "provider_ids": providers,
        "purpose": _text(data.purpose, "purpose", "the purpose of the disclosure"),
        "revocation_terms": _text(
            data.revocation_terms, "revocation_terms", "how the participant may revoke it"
        ),
        "signed_on": data.signed_on,
        "signature_method": method,
        "expires_on": data.expires_on,
        "expiry_event": expiry_event or None,
        "criminal_justice": data.criminal_justice,
        "irrevocable_until": irrevocable_until,
        "irrevocable_event": irrevocable_event or None,
    }


def record_consent(case: Case, actor: User, data: ConsentData) -> Consent:
    """Record a signed consent, witnessed by the staff member recording it; a release ticked at
    intake before consents existed (legacy) is completed by it rather than kept beside it."""
    require(can_manage_case(actor), "Only the program office records consents.")
    values = _check(case, data)
    # The same consent sent twice (a double click, a resent form) is recorded once, even when
    # both arrive at once: the second waits for the first, then finds it.
    lock_row(db.session, Case, case.id)
    same = db.session.scalar(
        select(Consent)
        .where(
            Consent.case_id == case.id,
            Consent.legacy.is_(False),
            Consent.revoked_on.is_(None),
            *(
                getattr(Consent, key) == value
                for key, value in values.items()
                if key != "provider_ids"
            ),
        )
        .limit(1)
    )
    if same is not None and sorted(same.provider_ids or []) == values["provider_ids"]:
        return same
    legacy = db.session.scalar(
        select(Consent)
        .where(Consent.case_id == case.id, Consent.legacy.is_(True))
        .order_by(Consent.id)
        .limit(1)
    )
    consent = legacy or Consent(case_id=case.id)
    for key, value in values.items():
        setattr(consent, key, value)
    consent.legacy = False
    consent.witness_id = actor.id
    consent.created_by_id = consent.created_by_id or actor.id
    if legacy is None:
        db.session.add(consent)
    db.session.flush()
    add_entry(
        case,
        TimelineKind.CONSENT_RECORDED,
        actor,
        payload={
            "consent_id": consent.id,
            "summary": describe_scopes(consent),
            "recipient": recipient_label(consent),
        },
    )
    db.session.flush()
    return consent


def revoke_consent(
    consent: Consent,
    actor: User,
    revoked_on: dt.date,
    received: str,
    event_occurred: bool = False,
) -> Consent:
    """The participant revoked the consent; refused while a criminal-justice consent holds (for
    one bound to an event, until the office attests the event has happened)."""
    require(can_manage_case(actor), "Only the program office records a revocation.")
    # Two revocations at once: the second waits, then finds the consent revoked.
    lock_row(db.session, Consent, consent.id)
    if consent.legacy or consent.revoked_on is not None:
        raise InvalidTransition("This consent is not in force.")
    received = _text(received, "received", "how the revocation was received")
    if revoked_on < (consent.signed_on or revoked_on):
        raise ValidationFailed("The revocation cannot be before the signature.", field="revoked_on")
    require_not_future(revoked_on, "revoked_on", "The revocation date cannot be in the future.")
    if is_irrevocable(consent, revoked_on, event_occurred):
        until = (
            f"until {consent.irrevocable_until:%b %-d, %Y}"
            if consent.irrevocable_until
            else f"until {consent.irrevocable_event} (tick that it has happened, if it has)"
        )
        raise ValidationFailed(
            f"This criminal-justice consent cannot be revoked {until} (42 CFR 2.35).",
            field="revoked_on",
        )
    consent.revoked_on, consent.revocation_received = revoked_on, received[:NAME_MAX]
    case = db.session.get(Case, consent.case_id)
    add_entry(
        case,
        TimelineKind.CONSENT_REVOKED,
        actor,
        payload={
            "consent_id": consent.id,
            "reason": received,
            "recipient": recipient_label(consent),
        },
    )
    db.session.flush()
    return consent


def describe_scopes(consent: Consent) -> str:
    """What the consent lets the program disclose, in words."""
    return "; ".join(s.label for s in consent.scopes)


def recipient_label(consent: Consent) -> str:
    """Who may receive the information."""
    if consent.recipient_kind == RecipientKind.AGENCY:
        agency = db.session.get(Agency, consent.recipient_agency_id)
        return agency.name if agency else ""
    if consent.recipient_kind == RecipientKind.OFFICER:
        officer = db.session.get(User, consent.recipient_officer_id)
        return f"Officer {officer.name}" if officer else ""
    return consent.recipient_name or ""
