"""The life of a case: referral, screening, intake and exit, through one transition function."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError

from portal.clock import local_date, local_today, utcnow
from portal.database import savepoint
from portal.extensions import db
from portal.models import (
    OFFICE_REFERRAL_TYPES,
    OFFICER_REFERRAL_TYPES,
    Case,
    CaseStatus,
    ExitReason,
    Person,
    ReferralType,
    TimelineKind,
    User,
)
from portal.policy import can_manage_case, can_refer, is_case_manager, is_officer, require
from portal.services.compliance import evaluate_case
from portal.services.dates import require_not_before, require_not_future
from portal.services.errors import Conflict, InvalidTransition, ValidationFailed
from portal.services.referrals import close_open_referrals
from portal.services.same_person import other_open_referrals
from portal.services.settings import get_settings
from portal.services.timeline import add_entry

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.REFERRED: frozenset({CaseStatus.ACCEPTED, CaseStatus.DECLINED}),
    CaseStatus.ACCEPTED: frozenset({CaseStatus.ACTIVE, CaseStatus.NON_COMPLIANT}),
    CaseStatus.ACTIVE: frozenset(
        {CaseStatus.COMPLETED, CaseStatus.WITHDRAWN, CaseStatus.NON_COMPLIANT}
    ),
    CaseStatus.DECLINED: frozenset(),
    CaseStatus.COMPLETED: frozenset(),
    CaseStatus.WITHDRAWN: frozenset(),
    CaseStatus.NON_COMPLIANT: frozenset(),
}

# Statuses in which a participant has left the program and holds no service place.
CLOSED_STATUSES = frozenset({CaseStatus.COMPLETED, CaseStatus.WITHDRAWN, CaseStatus.NON_COMPLIANT})

STATUS_KIND = {
    CaseStatus.ACCEPTED: TimelineKind.REFERRAL_ACCEPTED,
    CaseStatus.DECLINED: TimelineKind.REFERRAL_DECLINED,
    CaseStatus.ACTIVE: TimelineKind.INTAKE_COMPLETED,
    CaseStatus.COMPLETED: TimelineKind.CASE_COMPLETED,
    CaseStatus.WITHDRAWN: TimelineKind.CASE_WITHDRAWN,
    CaseStatus.NON_COMPLIANT: TimelineKind.CASE_NON_COMPLIANT,
}


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    return target in TRANSITIONS[current]


CONFLICT_MESSAGE = (
    "This case was changed by someone else while you were working on it. "
    "The page now shows the latest version; check it and try again."
)


def check_version(case: Case, version: int | None) -> None:
    """Refuse to apply a change made from a stale copy of the case."""
    if version is not None and version != case.version:
        raise Conflict(CONFLICT_MESSAGE)


def require_transition(case: Case, target: CaseStatus) -> None:
    """Refuse a move the life of a case does not allow (before anything on the case changes)."""
    if not can_transition(case.status, target):
        raise InvalidTransition(
            f"A case that is {case.status.label.lower()} cannot become {target.label.lower()}."
        )


def transition(case: Case, target: CaseStatus, actor: User | None, payload: dict | None = None):
    """Move a case to `target` if the life of a case allows it, and write the timeline entry;
    the program's rules are evaluated at once (intake resolves the deadline's flag, an exit
    every open one)."""
    require_transition(case, target)
    previous = case.status
    case.status = target
    if target in CLOSED_STATUSES:
        close_open_referrals(case, actor)
    add_entry(
        case,
        STATUS_KIND[target],
        actor,
        payload={"from": previous.value, "to": target.value, **(payload or {})},
    )
    db.session.flush()
    evaluate_case(case)
    return case


# --- referral ---------------------------------------------------------------------------


@dataclass
class ReferralData:
    first_name: str
    last_name: str
    dob: dt.date
    referral_type: ReferralType
    aliases: str = ""
    phone: str | None = None
    incident_number: str | None = None
    offences: str = ""
    statutes: str = ""
    occurred_at: dt.datetime | None = None
    location: str | None = None
    eligibility: dict[str, bool] = field(default_factory=dict)
    notes: str = ""
    # An office referral's source: who referred the person and how to reach them.
    source_name: str = ""
    source_contact: str = ""
    source_note: str = ""


SOURCE_NAME_LENGTH = SOURCE_CONTACT_LENGTH = 120
SOURCE_NOTE_LENGTH = 500


def _check_referral(referrer: User, data: ReferralData) -> None:
    """The rules of a referral that depend on who makes it: an officer refers for their agency,
    with an officer's referral types; the office enters the others, with their source."""
    if is_officer(referrer):
        require(can_refer(referrer), "Only officers of an agency can refer a person.")
        allowed = OFFICER_REFERRAL_TYPES
    else:
        require(can_manage_case(referrer), "Only officers and case managers can enter a referral.")
        allowed = OFFICE_REFERRAL_TYPES
        if not data.source_name.strip():
            raise ValidationFailed("Enter who referred the person.", field="source_name")
        for name, limit in (
            ("source_name", SOURCE_NAME_LENGTH),
            ("source_contact", SOURCE_CONTACT_LENGTH),
            ("source_note", SOURCE_NOTE_LENGTH),
        ):
            if len(getattr(data, name).strip()) > limit:
                raise ValidationFailed(f"Use at most {limit:,} characters.", field=name)
    if data.referral_type.value not in {t.value for t in allowed}:
        raise ValidationFailed("Choose one of the listed referral types.", field="referral_type")


def _referred_by(referrer: User):
    """The cases a referrer made: an officer's referrals, or those a case manager entered."""
    if is_officer(referrer):
        return Case.officer_id == referrer.id
    return Case.entered_by_id == referrer.id


@dataclass(frozen=True)
class KnownPerson:
    """A person this officer referred before, as they referred them."""

    referral_id: int  # the officer's latest referral of them: the choice the form offers
    person: Person
    name: str  # as the officer referred them (the office may have linked the case since)


def matching_persons(
    officer: User, first_name: str, last_name: str, dob: dt.date
) -> list[KnownPerson]:
    """People this officer referred before under this name (case-insensitive) and date of birth.

    Never anyone else's: the duplicate check must not tell an officer that someone was referred
    by a colleague or another agency (42 CFR Part 2); the program office links those records.
    The name compared and shown is the one the officer gave, so a case the office linked to an
    earlier record tells them nothing of it; each is offered by the officer's own referral.

    A case manager entering a referral sees every case: for them, any referral of the name.
    """
    rows = db.session.execute(
        select(Case.id, Case.referred_first_name, Case.referred_last_name, Person)
        .join(Person, Person.id == Case.person_id)
        .where(
            _referred_by(officer) if is_officer(officer) else true(),
            Person.dob == dob,
            func.lower(Case.referred_last_name) == last_name.strip().lower(),
            func.lower(Case.referred_first_name) == first_name.strip().lower(),
        )
        .order_by(Case.id.desc())
        .limit(MATCHES_SHOWN)
    ).all()
    known: dict[int, KnownPerson] = {}
    for case_id, first, last, person in rows:
        known.setdefault(person.id, KnownPerson(case_id, person, f"{first} {last}"))
    return sorted(known.values(), key=lambda k: k.referral_id)


MATCHES_SHOWN = 20  # referrals of the same name and date of birth the form looks at


def submitted_case(officer: User, submission_key: str | None) -> Case | None:
    """The case an earlier arrival of the same referral form submission made, if any."""
    if submission_key is None:
        return None
    return db.session.scalar(
        select(Case).where(_referred_by(officer), Case.submission_key == submission_key)
    )


def refer_person(
    officer: User,
    data: ReferralData,
    known_referral_id: int | None = None,
    new_person: bool = False,
    submission_key: str | None = None,
) -> Case:
    """An officer refers a person, or a case manager enters a referral that came to the office
    (with its source, and no officer or agency); one set of rules for both. A person referred
    before (same name and DOB) is reused, not duplicated.

    When the officer referred someone with the same name and date of birth before, the caller
    must say which it is (`known_referral_id`, the officer's earlier referral of them), or that
    this is a different person (`new_person`); records of people referred by others are never
    offered nor written to.

    One form submission (`submission_key`, unique per referrer) makes one case: a repeat, even
    one arriving at the same instant, is answered with the case the first arrival made.
    """
    _check_referral(officer, data)
    office = not is_officer(officer)
    matches = matching_persons(officer, data.first_name, data.last_name, data.dob)
    # Looked for after the matches: a first arrival whose person they see is seen here too
    # (it committed its person and its case together), so a repeat is never asked to choose.
    first = submitted_case(officer, submission_key)
    if first is not None:
        return first
    if matches and known_referral_id is None and not new_person:
        raise ValidationFailed(
            "A person with this name and date of birth is already on record: choose the record, "
            "or say this is a different person.",
            field="person_choice",
        )
    settings = get_settings()
    today = local_today()
    allowed_items = set(settings.eligibility_items)
    try:
        # The person and the case are written together: when a concurrent arrival of the same
        # submission wins the unique key, this one's person goes with its case.
        with savepoint(db.session):
            person = _person_for(data, matches, known_referral_id)
            case = Case(
                person_id=person.id,
                referred_first_name=data.first_name.strip(),
                referred_last_name=data.last_name.strip(),
                officer_id=None if office else officer.id,
                agency_id=None if office else officer.agency_id,
                entered_by_id=officer.id if office else None,
                source_name=data.source_name.strip() or None if office else None,
                source_contact=data.source_contact.strip() or None if office else None,
                source_note=data.source_note.strip() or None if office else None,
                referral_type=data.referral_type,
                incident_number=(data.incident_number or "").strip() or None,
                offences=data.offences.strip(),
                statutes=data.statutes.strip(),
                occurred_at=data.occurred_at,
                location=(data.location or "").strip() or None,
                eligibility={k: bool(v) for k, v in data.eligibility.items() if k in allowed_items},
                notes=data.notes.strip(),
                status=CaseStatus.REFERRED,
                referred_at=utcnow(),
                intake_deadline=today + dt.timedelta(days=settings.intake_deadline_days),
                charge_file_by=charge_deadline(
                    data.referral_type, data.occurred_at, today, settings.charge_filing_days
                ),
                submission_key=submission_key,
            )
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        first = submitted_case(officer, submission_key)
        if first is None:
            raise
        return first
    add_entry(
        case,
        TimelineKind.REFERRAL_RECEIVED,
        officer,
        payload={
            "referral_type": data.referral_type.value,
            "reused_person": bool(matches),
            **({"entered_by_office": True} if office else {}),
        },
    )
    db.session.flush()
    return case


def charge_deadline(
    referral_type: ReferralType,
    occurred_at: dt.datetime | None,
    referred_on: dt.date,
    filing_days: int,
) -> dt.date | None:
    """Arrest diversion holds a charge: it must be filed by the incident's local date (or the
    referral's, when the incident's time is unknown) plus the program's filing days."""
    if referral_type != ReferralType.ARREST:
        return None
    incident_on = local_date(occurred_at) if occurred_at is not None else referred_on
    return incident_on + dt.timedelta(days=filing_days)


@dataclass(frozen=True)
class HeldCharge:
    """What an arrest diversion holds: the incident, the offences and statutes, and the date by
    which the charge must be filed."""

    incident_number: str | None
    offences: str
    statutes: str
    file_by: dt.date | None


def held_charge(case: Case) -> HeldCharge | None:
    """The charge an arrest diversion holds (None for other referrals). Who may see it is the
    policy's `can_see_held_charge`."""
    if case.referral_type != ReferralType.ARREST:
        return None
    return HeldCharge(case.incident_number, case.offences, case.statutes, case.charge_file_by)


def _person_for(
    data: ReferralData, matches: list[KnownPerson], known_referral_id: int | None
) -> Person:
    """The chosen known person (with the new aliases and phone), or a new record."""
    if known_referral_id is not None:
        known = next((k for k in matches if k.referral_id == known_referral_id), None)
        if known is None:
            raise ValidationFailed("That person record does not match the name and date of birth.")
        person = known.person
        merge_aliases(person, data.aliases)
        if data.phone and not person.phone:
            person.phone = data.phone
        return person
    person = Person(
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        aliases=data.aliases.strip(),
        dob=data.dob,
        phone=data.phone or None,
    )
    db.session.add(person)
    db.session.flush()
    return person


def merge_aliases(person: Person, aliases: str) -> None:
    """Add the aliases the person's record lacks (compared case-insensitively), in order."""
    known = [a.strip() for a in person.aliases.split(",") if a.strip()]
    for alias in (a.strip() for a in aliases.split(",")):
        if alias and alias.lower() not in {k.lower() for k in known}:
            known.append(alias)
    person.aliases = ", ".join(known)


# --- screening and intake -----------------------------------------------------------------


# The coded reason of declining a referral because the person already has an open one.
DUPLICATE_REASON = "Duplicate: the person already has an open referral"
DUPLICATE_UNDECIDED = (
    "This person has another open referral. Decline this one as a duplicate, or confirm that "
    "you accept it anyway."
)


def accept_referral(
    case: Case,
    actor: User,
    version: int | None = None,
    note: str = "",
    duplicate_confirmed: bool = False,
) -> Case:
    """Screening: the referral meets the program's criteria. When the person has another open
    referral, accepting this one too needs the case manager's confirmation."""
    require(can_manage_case(actor), OFFICE_ONLY)
    check_version(case, version)
    require_transition(case, CaseStatus.ACCEPTED)
    others = other_open_referrals(case)
    if others and not duplicate_confirmed:
        raise ValidationFailed(DUPLICATE_UNDECIDED, field="confirm_duplicate")
    case.screened_by_id, case.screened_at = actor.id, utcnow()
    # The case manager who accepts an unassigned referral takes it, in the same update.
    takes = case.case_manager_id is None and is_case_manager(actor) and actor.active
    if takes:
        case.case_manager_id = actor.id
    payload = {"note": note.strip()} if note else {}
    if others:
        payload["accepted_beside"] = [other.id for other in others]
    transition(case, CaseStatus.ACCEPTED, actor, payload or None)
    if takes:
        _assignment_entry(case, actor, None, actor)
        db.session.flush()
    return case


def set_case_manager(case: Case, manager: User | None, actor: User) -> None:
    """Record who the case is assigned to, on the case and its timeline (the audit trail
    records the change of the case by itself); the caller has checked the choice."""
    previous = db.session.get(User, case.case_manager_id) if case.case_manager_id else None
    case.case_manager_id = manager.id if manager is not None else None
    _assignment_entry(case, manager, previous, actor)
    db.session.flush()


def _assignment_entry(case: Case, manager: User | None, previous: User | None, actor: User):
    add_entry(
        case,
        TimelineKind.CASE_MANAGER_CHANGED,
        actor,
        payload={
            "case_manager_id": manager.id if manager is not None else None,
            "previous_id": previous.id if previous is not None else None,
            "summary": _assignment_summary(manager, previous),
        },
    )


def _assignment_summary(manager: User | None, previous: User | None) -> str:
    now = f"Assigned to {manager.name}" if manager is not None else "Unassigned"
    return now if previous is None else f"{now} (was {previous.name})"


def decline_reasons(case: Case, others: list[Case] | None = None) -> list[str]:
    """The reasons screening may decline this referral for: the program's exclusion reasons, and
    the duplicate reason when the person has another open referral (`others`, if known)."""
    reasons = list(get_settings().exclusion_reasons)
    if others if others is not None else other_open_referrals(case):
        reasons.append(DUPLICATE_REASON)
    return reasons


def decline_referral(
    case: Case, actor: User, reason: str, note: str = "", version: int | None = None
) -> Case:
    """Screening: the referral is excluded, for one of the program's exclusion reasons, or as a
    duplicate of the person's other open referral."""
    require(can_manage_case(actor), OFFICE_ONLY)
    check_version(case, version)
    require_transition(case, CaseStatus.DECLINED)
    payload = {"reason": reason, "note": note.strip()}
    if reason == DUPLICATE_REASON:
        others = other_open_referrals(case)
        if not others:
            raise ValidationFailed(
                "This person has no other open referral now: choose another reason.",
                field="reason",
            )
        payload["duplicate_of"] = [other.id for other in others]
    elif reason not in get_settings().exclusion_reasons:
        raise ValidationFailed("Choose one of the program's exclusion reasons.", field="reason")
    case.screened_by_id, case.screened_at = actor.id, utcnow()
    case.decline_reason = reason
    return transition(case, CaseStatus.DECLINED, actor, payload)


def complete_intake(
    case: Case, actor: User, completed_on: dt.date, version: int | None = None
) -> Case:
    """Intake is complete: the case becomes active."""
    require(can_manage_case(actor), OFFICE_ONLY)
    check_version(case, version)
    require_transition(case, CaseStatus.ACTIVE)
    require_not_future(completed_on, "completed_on", "The intake date cannot be in the future.")
    require_not_before(
        completed_on,
        case.referred_at,
        "completed_on",
        "The intake date cannot be before the referral ({referred_on}).",
    )
    case.intake_completed_on = completed_on
    return transition(
        case,
        CaseStatus.ACTIVE,
        actor,
        {"completed_on": completed_on.isoformat()},
    )


OFFICE_ONLY = "Only the program office can do this."
EXIT_STATUSES = (CaseStatus.COMPLETED, CaseStatus.WITHDRAWN)
# Non-compliance closes a case only through the compliance review, with its own reason.
CLOSING_STATUSES = (*EXIT_STATUSES, CaseStatus.NON_COMPLIANT)
EXIT_NOTE_LENGTH = 2000
# The exit reason of a case closed as non-compliant: only a confirmed compliance flag gives it.
NON_COMPLIANT_CONFIRMED = ExitReason.NON_COMPLIANT_CONFIRMED


def close_case(
    case: Case,
    actor: User,
    status: CaseStatus,
    closed_on: dt.date,
    reason: ExitReason,
    note: str = "",
    version: int | None = None,
    details: dict | None = None,
) -> Case:
    """Exit: the participant completed the program, withdrew, or (confirmed by the compliance
    review) did not comply; the coded reason must fit the status, "other" needs a note.
    `details` (coded values only) go into the timeline entry."""
    require(can_manage_case(actor), OFFICE_ONLY)
    check_version(case, version)
    if status not in CLOSING_STATUSES:
        raise ValidationFailed(
            "A case closes as completed, withdrawn or non-compliant.", field="status"
        )
    try:
        reason = ExitReason(reason)
    except ValueError:
        raise ValidationFailed("Choose one of the listed reasons.", field="reason") from None
    if reason.status != status:
        raise ValidationFailed(
            f"“{reason.label}” is not a reason for a case that is {status.label.lower()}.",
            field="reason",
        )
    note = note.strip()
    if reason == ExitReason.OTHER and not note:
        raise ValidationFailed("Describe the reason for the exit.", field="note")
    if len(note) > EXIT_NOTE_LENGTH:
        raise ValidationFailed(f"Use at most {EXIT_NOTE_LENGTH:,} characters.", field="note")
    require_transition(case, status)
    require_not_future(closed_on, "closed_on", "The exit date cannot be in the future.")
    require_not_before(
        closed_on,
        case.referred_at,
        "closed_on",
        "The exit date cannot be before the referral ({referred_on}).",
    )
    case.closed_on, case.exit_reason, case.exit_note = closed_on, reason, note
    return transition(
        case,
        status,
        actor,
        {
            "closed_on": closed_on.isoformat(),
            "exit_reason": reason.value,
            "note": note,
            **(details or {}),
        },
    )


def days_left(case: Case, today: dt.date | None = None) -> int:
    """Days until the intake deadline (negative when overdue)."""
    return (case.intake_deadline - (today or local_today())).days


# Within this many days of its intake deadline a case is shown as due soon.
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class IntakeClock:
    """Where a case stands against its intake deadline, as the office's screens show it."""

    running: bool  # the deadline still applies (referred or accepted: intake not done)
    days_left: int  # negative when overdue
    age_days: int  # days since the referral, in local dates

    @property
    def overdue(self) -> bool:
        return self.running and self.days_left < 0

    @property
    def due_soon(self) -> bool:
        return self.running and 0 <= self.days_left <= DUE_SOON_DAYS


def intake_clock(case: Case, today: dt.date | None = None) -> IntakeClock:
    """The intake deadline rule: it runs from referral until intake (or a decline)."""
    today = today or local_today()
    return IntakeClock(
        running=can_transition(case.status, CaseStatus.ACTIVE)
        or can_transition(case.status, CaseStatus.ACCEPTED),
        days_left=days_left(case, today),
        age_days=(today - local_date(case.referred_at)).days,
    )


@dataclass(frozen=True)
class NextSteps:
    """What the office can do next with a case, read from the life of a case (TRANSITIONS)."""

    screen: bool  # accept or decline the referral
    intake: bool  # record intake: the case becomes active
    exit: bool  # record the participant's exit (completed or withdrawn)


def next_steps(case: Case) -> NextSteps:
    """The office's next steps for a case, from the moves its status allows."""
    return NextSteps(
        screen=can_transition(case.status, CaseStatus.DECLINED),
        intake=can_transition(case.status, CaseStatus.ACTIVE),
        exit=all(can_transition(case.status, s) for s in EXIT_STATUSES),
    )
