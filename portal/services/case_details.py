"""Editing a referral's details after the fact, without overwriting someone else's change."""

from __future__ import annotations

from dataclasses import dataclass

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Case, Person, TimelineKind, User
from portal.policy import can_manage_case, require
from portal.services.cases import check_version
from portal.services.timeline import add_entry


@dataclass(frozen=True)
class CaseDetails:
    incident_number: str = ""
    offences: str = ""
    statutes: str = ""
    location: str = ""
    notes: str = ""
    phone: str = ""
    aliases: str = ""

    @classmethod
    def of(cls, case: Case, person: Person) -> CaseDetails:
        return cls(
            incident_number=case.incident_number or "",
            offences=case.offences or "",
            statutes=case.statutes or "",
            location=case.location or "",
            notes=case.notes or "",
            phone=person.phone or "",
            aliases=person.aliases or "",
        )


LABELS = {
    "incident_number": "incident number",
    "offences": "offences",
    "statutes": "statutes",
    "location": "location",
    "notes": "officer's notes",
    "phone": "phone",
    "aliases": "aliases",
}
CASE_FIELDS = ("incident_number", "offences", "statutes", "location", "notes")
OPTIONAL_FIELDS = {"incident_number", "location", "phone"}  # stored as NULL when empty


def differences(old: CaseDetails, new: CaseDetails) -> list[str]:
    """The fields (by key) whose values differ between two versions of the details."""
    return [k for k in LABELS if getattr(old, k).strip() != getattr(new, k).strip()]


def update_case_details(
    case: Case, person: Person, actor: User, details: CaseDetails, version: int | None
) -> list[str]:
    """Edit the referral's details from the version the editor saw; a stale copy is refused."""
    require(can_manage_case(actor), "Only the program office edits a referral's details.")
    check_version(case, version)
    changed = differences(CaseDetails.of(case, person), details)
    if not changed:
        return []
    for key in changed:
        value = getattr(details, key).strip()
        value = (value or None) if key in OPTIONAL_FIELDS else value
        setattr(case if key in CASE_FIELDS else person, key, value)
    # Touch the case even when only the person changed, so its version moves on and a
    # concurrent editor of the same case sees a conflict.
    case.updated_at = utcnow()
    add_entry(
        case,
        TimelineKind.CASE_UPDATED,
        actor,
        payload={"summary": "Changed: " + ", ".join(LABELS[k] for k in changed)},
    )
    db.session.flush()
    return changed
