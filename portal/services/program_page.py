"""The program's public page and the officers' resources: what the program says about itself
(administrators edit it) and the directory's active services, a page at a time."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.database import savepoint
from portal.extensions import db
from portal.models import (
    Organization,
    ProgramPage,
    ProgramPageChange,
    Service,
    ServiceKind,
    ServiceStatus,
    User,
)
from portal.policy import can_manage_settings, require
from portal.services.errors import ValidationFailed
from portal.services.paging import Key, Page, keyset_page
from portal.services.phones import phone_problem

# The program's own words (the program description the site started from): shown until an
# administrator saves the page, so a fresh database and the demo have them.
DEFAULT_NAME = "LEAD (Law Enforcement Aided Diversion)"
DEFAULT_DESCRIPTION = (
    "Law Enforcement Assisted Diversion (LEAD) is a pre-booking program aimed at redirecting "
    "low-level offenders engaged in drug or prostitution activities to available community "
    "services.\n\n"
    "With this partnership we are hoping for a domino effect. As the LEAD program becomes a "
    "point of relief for the officers, the officers will not have to devote as much time to "
    "low-level offenders. These referred individuals will be less likely to become repeat "
    "offenders, and their success will improve family dynamics and the quality of their lives. "
    "This success can lead to positive change within the entire community."
)
DEFAULT_GOALS = "\n".join(
    [
        "- Provide an alternative option for law enforcement to divert low-level offenders to "
        "community-based treatment services rather than sending them to jail.",
        "- Reduce recidivism by referring participants to treatment and support services based "
        "on their specific individual needs.",
        "- Improve public safety by reducing criminal behavior of participants in the program.",
        "- Gradually reduce the number of low-level crimes committed in the community so local "
        "law enforcement can devote their attention to more serious crimes and criminal "
        "offenders.",
        "- Strengthen the bond between the community and law enforcement by allowing them to use "
        "their discretion to refer individuals with substance use disorder to our program for "
        "treatment instead of punishment.",
    ]
)
DEFAULT_HOW_REFERRAL_WORKS = "\n".join(
    [
        "- Take referrals from law-enforcement for individuals they feel meet the criteria for "
        "the LEAD program.",
        "- Refer the participants to the appropriate service(s): counseling, support groups, etc.",
        "- Keep officers informed on the progress of the individuals they refer to the program.",
        "- Inform the arresting officer when individuals do not comply with the requirements of "
        "the program thus allowing the officer to arrest and charge the individual for their "
        "original crime.",
    ]
)
DEFAULT_HANDOFF_TEXT = "\n".join(
    [
        "- LEAD is a way to get help instead of going to jail for this offence.",
        "- A LEAD case manager will contact you soon to meet and talk about what you need.",
        "- Keep the card: it has the program's number and the clinic's hours.",
        "- Taking part is your choice, and the program's services are there to help you.",
    ]
)
DEFAULTS = {
    "name": DEFAULT_NAME,
    "description": DEFAULT_DESCRIPTION,
    "goals": DEFAULT_GOALS,
    "how_referral_works": DEFAULT_HOW_REFERRAL_WORKS,
    "contact_name": "",
    "contact_phone": "",
    "contact_email": "",
    "on_call_phone": "",
    "handoff_text": DEFAULT_HANDOFF_TEXT,
}
# Characters each field holds at most (the columns' lengths for the short ones).
LIMITS = {
    "name": 120,
    "description": 5000,
    "goals": 5000,
    "how_referral_works": 5000,
    "contact_name": 120,
    "contact_phone": 40,
    "contact_email": 255,
    "on_call_phone": 40,
    "handoff_text": 3000,
}
LABELS = {
    "name": "program name",
    "description": "description",
    "goals": "goals",
    "how_referral_works": "how referral works",
    "contact_name": "contact name",
    "contact_phone": "contact phone",
    "contact_email": "contact e-mail",
    "on_call_phone": "on-call number",
    "handoff_text": "what to tell the person",
}
REQUIRED = {"name", "description"}
DIRECTORY_PAGE_SIZE = 50
RECENT_CHANGES = 10  # saves listed on the editing page
CARD_CLINICS = 4  # walk-in services on the pocket card at most: it is a card


PAGE_ID = 1  # the page's one row (its default id; a check constraint holds it there)


def _saved_page() -> ProgramPage | None:
    return db.session.get(ProgramPage, PAGE_ID)


def get_program_page() -> ProgramPage:
    """The program's page: the saved row, or (never written here) the program's own words."""
    page = _saved_page()
    return page if page is not None else ProgramPage(**DEFAULTS)


def _cleaned(field: str, value: str | None) -> str:
    """The value trimmed (line ends made "\\n"), refused when too long, empty but required, or
    not a phone number or e-mail address where one is asked for."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if field in REQUIRED and not value:
        raise ValidationFailed(f"Enter the {LABELS[field]}.", field=field)
    if len(value) > LIMITS[field]:
        raise ValidationFailed(f"Use at most {LIMITS[field]:,} characters.", field=field)
    if field.endswith("_phone"):
        problem = phone_problem(value)
        if problem:
            raise ValidationFailed(problem, field=field)
    if field == "contact_email" and value:
        try:
            value = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationFailed(
                "Enter an e-mail address such as lead@example.org.", field=field
            ) from None
    return value


def update_program_page(actor: User, **values: str | None) -> list[str]:
    """Change the program's page (administrators only; every field checked, nothing saved if
    one is refused); answers the labels of the fields that changed. The change is audited as an
    edit of the page's row (a first save creates it), and the page's history keeps who changed
    which fields."""
    require(can_manage_settings(actor), "Only administrators change the program's page.")
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    cleaned = {field: _cleaned(field, values.get(field)) for field in DEFAULTS}
    page = _saved_page()
    if page is None:
        changed = [f for f in DEFAULTS if cleaned[f] != DEFAULTS[f]]
        try:
            with savepoint(db.session):
                db.session.add(ProgramPage(id=PAGE_ID, **cleaned))
        except IntegrityError:
            # Another administrator's first save stored it meanwhile: change theirs.
            page = db.session.get(ProgramPage, PAGE_ID, populate_existing=True)
            assert page is not None
    if page is not None:
        changed = [f for f in DEFAULTS if cleaned[f] != getattr(page, f)]
        for field, value in cleaned.items():
            setattr(page, field, value)
    if changed:
        db.session.add(ProgramPageChange(user_id=actor.id, fields=changed))
    db.session.flush()
    return [LABELS[f] for f in changed]


def recent_changes(limit: int = RECENT_CHANGES) -> list[ProgramPageChange]:
    """The page's latest saves that changed it, newest first, with who made them."""
    query = (
        select(ProgramPageChange)
        .options(joinedload(ProgramPageChange.user))
        .order_by(ProgramPageChange.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


# --- the directory, as the public and officers see it -------------------------------------------

DIRECTORY_KEYS = [Key(Organization.name, str), Key(Service.name, str), Key(Service.id, int)]


def _open_services():
    """Active services of active organisations, with their organisation and sessions."""
    return (
        select(Service)
        .join(Service.organization)
        .where(Service.status == ServiceStatus.ACTIVE, Organization.active.is_(True))
        .options(contains_eager(Service.organization), selectinload(Service.schedules))
    )


def directory_page(cursor: str | None) -> Page:
    """One page of the directory's active services, by organisation then service name
    (PUBLIC_PAGE_SIZE of them, DIRECTORY_PAGE_SIZE unless configured)."""
    size = current_app.config.get("PUBLIC_PAGE_SIZE", DIRECTORY_PAGE_SIZE)
    return keyset_page(_open_services(), DIRECTORY_KEYS, cursor, size)


def walk_in_clinics(limit: int = CARD_CLINICS) -> list[Service]:
    """The active walk-in (drop-in) services that keep weekly hours: where a person can go
    without an appointment, as the pocket card lists them."""
    query = (
        _open_services()
        .where(Service.kind == ServiceKind.DROP_IN, Service.schedules.any())
        .order_by(Organization.name, Service.name, Service.id)
        .limit(limit)
    )
    return list(db.session.scalars(query).unique())
