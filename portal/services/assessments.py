"""Needs assessments and case-manager contacts, recorded by the program office."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import (
    Assessment,
    AssessmentNeed,
    Case,
    CaseStatus,
    Contact,
    ContactKind,
    NeedDomain,
    NeedLevel,
    TimelineKind,
    User,
)
from portal.policy import can_manage_case, require
from portal.services.compliance import evaluate_case
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import InvalidTransition, ValidationFailed
from portal.services.timeline import add_entry

# Assessed at intake (accepted) or any time while the participant is enrolled (active).
ASSESSABLE = (CaseStatus.ACCEPTED, CaseStatus.ACTIVE)
MAX_NOTE = 2000
OFFICE_ONLY = "Only the program office records assessments and contacts."


def is_assessable(case: Case) -> bool:
    """Assessments and contacts are recorded for a case accepted or active."""
    return case.status in ASSESSABLE


def _require_open(case: Case, what: str) -> None:
    if not is_assessable(case):
        raise InvalidTransition(
            f"{what} can be recorded only for a case accepted or active, "
            f"not one that is {case.status.label.lower()}."
        )


def summarize(needs: dict[NeedDomain, NeedLevel], detox_needed: bool) -> str:
    """A one-line summary of the higher needs, e.g. 'High: housing, substance use'."""
    parts = []
    for level in (NeedLevel.HIGH, NeedLevel.MODERATE):
        domains = [d.label.lower() for d in NeedDomain if needs.get(d) == level]
        if domains:
            parts.append(f"{level.label}: {', '.join(domains)}")
    if detox_needed:
        parts.append("detox needed")
    return "; ".join(parts) or "No moderate or high needs"


def record_assessment(
    case: Case,
    actor: User,
    assessed_on: dt.date,
    substances: str,
    detox_needed: bool,
    needs: dict[NeedDomain, tuple[NeedLevel, str]],
) -> Assessment:
    """A needs assessment covers all eight domains; earlier ones stay as history."""
    require(can_manage_case(actor), OFFICE_ONLY)
    _require_open(case, "A needs assessment")
    require_not_future(assessed_on, "assessed_on", "The assessment date cannot be in the future.")
    require_not_before(
        assessed_on,
        case.referred_at,
        "assessed_on",
        "The assessment date cannot be before the referral ({referred_on}).",
    )
    missing = [d.label for d in NeedDomain if d not in needs]
    if missing:
        raise ValidationFailed(f"Give a need level for: {', '.join(missing)}.")
    for domain, (_level, note) in needs.items():
        if len(note or "") > MAX_NOTE:
            raise ValidationFailed(
                f"The note on {domain.label.lower()} is too long.", field=f"note_{domain.value}"
            )
    assessment = Assessment(
        case_id=case.id,
        assessed_by_id=actor.id,
        assessed_on=assessed_on,
        substances=(substances or "").strip()[:255],
        detox_needed=bool(detox_needed),
        needs=[
            AssessmentNeed(domain=d, level=needs[d][0], note=(needs[d][1] or "").strip())
            for d in NeedDomain
        ],
    )
    db.session.add(assessment)
    db.session.flush()
    add_entry(
        case,
        TimelineKind.ASSESSMENT_RECORDED,
        actor,
        payload={
            "summary": summarize({d: lvl for d, (lvl, _) in needs.items()}, detox_needed),
            "completed_on": assessed_on.isoformat(),
            "assessment_id": assessment.id,
        },
    )
    db.session.flush()
    return assessment


def _assessments_query(case_id: int):
    return (
        select(Assessment)
        .where(Assessment.case_id == case_id)
        .options(selectinload(Assessment.needs), joinedload(Assessment.assessed_by))
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
    )


def latest_assessment(case: Case) -> Assessment | None:
    """The assessment that drives matching: the most recent by date, then by entry."""
    return db.session.scalars(_assessments_query(case.id).limit(1)).first()


def assessment_history(case: Case, limit: int = 50) -> list[Assessment]:
    """The case's assessments, newest first (the first one is the latest)."""
    return list(db.session.scalars(_assessments_query(case.id).limit(limit)))


def needs_by_domain(assessment: Assessment) -> dict[NeedDomain, AssessmentNeed]:
    return {n.domain: n for n in assessment.needs}


def record_contact(
    case: Case, actor: User, contacted_on: dt.date, kind: ContactKind, note: str = ""
) -> Contact:
    """A case-manager contact (or attempt) happened on a past or present date."""
    require(can_manage_case(actor), OFFICE_ONLY)
    _require_open(case, "A contact")
    require_not_future(contacted_on, "contacted_on", "The contact date cannot be in the future.")
    require_not_before(
        contacted_on,
        case.referred_at,
        "contacted_on",
        "The contact date cannot be before the referral ({referred_on}).",
    )
    if len(note or "") > MAX_NOTE:
        raise ValidationFailed("Use at most 2,000 characters.", field="note")
    contact = Contact(
        case_id=case.id,
        staff_id=actor.id,
        contacted_on=contacted_on,
        kind=kind,
        note=(note or "").strip(),
    )
    db.session.add(contact)
    db.session.flush()
    add_entry(
        case,
        TimelineKind.CONTACT_RECORDED,
        actor,
        payload={
            "contact_kind": kind.label,
            "completed_on": contacted_on.isoformat(),
            "note": contact.note,
        },
    )
    db.session.flush()
    evaluate_case(case)  # a contact ends a spell without one: its flag is resolved at once
    return contact


def contact_list(case: Case, limit: int = 50) -> list[tuple[Contact, str]]:
    """The case's contacts newest first, each with the name of the staff member."""
    rows = db.session.execute(
        select(Contact, User.name)
        .join(User, User.id == Contact.staff_id)
        .where(Contact.case_id == case.id)
        .order_by(Contact.contacted_on.desc(), Contact.id.desc())
        .limit(limit)
    )
    return [(contact, name) for contact, name in rows]
