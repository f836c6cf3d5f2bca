"""Benchmark data: persons and cases over years, each with the timeline its life writes
(screening, intake, assessment, contacts, consent, exit), flags, notifications and audit rows.

A case's status follows its age: recent referrals wait for screening or intake, older ones are
enrolled, declined, returned for a missed intake deadline, or closed after months in the
program. Every date follows the one before it and none lies in the future.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import random
from dataclasses import dataclass, field

from portal.bench_data import outcomes
from portal.bench_data.directory import Directory
from portal.bench_data.writer import Writer
from portal.clock import local_date
from portal.models import (
    OFFICER_REFERRAL_TYPES,
    AuditAction,
    AuditOutcome,
    CaseStatus,
    ContactKind,
    ExitReason,
    FlagStatus,
    NeedDomain,
    NeedLevel,
    NotificationMode,
    OutboxStatus,
    RecipientKind,
    ReferralType,
    RuleCode,
    SignatureMethod,
    TimelineKind,
)
from portal.services.assessments import summarize

FIRST = [
    "James", "Ashley", "Robert", "Kayla", "Michael", "Tiffany", "Brandon", "Crystal", "Joshua",
    "Amanda", "Dustin", "Heather", "Christopher", "Jessica", "Matthew", "Brittany", "Justin",
    "Stephanie", "Travis", "Samantha", "Cody", "Amber", "Kyle", "Danielle", "Derek", "Misty",
    "Shane", "April", "Jeremy", "Melissa", "Randy", "Tonya", "Billy", "Rebecca", "Jesse",
    "Kimberly", "Dale", "Angela", "Wesley", "Courtney",
]  # fmt: skip
LAST = [
    "Carter", "Monroe", "Lilly", "Dillon", "Ayers", "Hughes", "Sizemore", "Pack", "Bennett",
    "Gwinn", "Meadows", "Wriston", "Adkins", "Blankenship", "Cook", "Dingess", "Ellison",
    "Ferrell", "Gibson", "Hatfield", "Irvin", "Jarrell", "Keeney", "Lester", "Maynard", "Nelson",
    "Osborne", "Perdue", "Queen", "Ramsey", "Shrewsbury", "Toler", "Underwood", "Vance", "Walker",
    "Young", "Bailey", "Cline", "Dunlap", "Estep", "Farley", "Grimmett", "Holstein", "Justice",
    "Kinder", "Lambert", "McCoy", "Napier",
]  # fmt: skip
OFFENCES = [
    ("Possession of a controlled substance (heroin)", "W. Va. Code 60A-4-401(c)"),
    ("Possession of a controlled substance (methamphetamine)", "W. Va. Code 60A-4-401(c)"),
    ("Possession of drug paraphernalia", "W. Va. Code 60A-4-403a"),
    ("Prostitution", "W. Va. Code 61-8-5"),
]
WITHDRAWN = [ExitReason.WITHDREW] * 5 + [ExitReason.MOVED_AWAY] * 3 + [ExitReason.OTHER]
LEVELS = [NeedLevel.NONE, NeedLevel.LOW, NeedLevel.MODERATE, NeedLevel.HIGH]
CONSENT_PURPOSE = "Keep the referring agency informed of the participant's progress."


@dataclass
class Spell:
    """An enrolled participant's time in the program: services are referred within it."""

    case_id: int
    officer_id: int
    intake_on: dt.date
    end_on: dt.date  # the exit date, or today while active
    status: CaseStatus
    told_status: bool  # a consent lets the officer hear of engagement


@dataclass
class Context:
    writer: Writer
    rng: random.Random
    directory: Directory
    now: dt.datetime
    today: dt.date
    deadline_days: int
    filing_days: int
    eligibility: dict[str, bool]
    exclusions: list[str]
    years: int
    persons: list[tuple[int, str, str, dt.date]] = field(default_factory=list)
    spells: list[Spell] = field(default_factory=list)
    cum_weights: list[float] = field(default_factory=list)
    # The evaluation's records draw from a stream of their own (portal/bench_data/outcomes.py).
    outcomes_rng: random.Random = field(default_factory=random.Random)

    @functools.cached_property
    def agency_names(self) -> dict[int, str]:
        return dict(self.directory.agencies)

    def at(self, day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
        """An instant on a day (never later than a minute ago)."""
        value = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)
        return min(value, self.now - dt.timedelta(minutes=1))

    def entry(self, case_id, kind, actor_id, when, payload=None, organization_id=None) -> int:
        entry_id = self.writer.new_id("timeline_entries")
        self.writer.add(
            "timeline_entries",
            {
                "id": entry_id,
                "case_id": case_id,
                "actor_id": actor_id,
                "kind": kind,
                "organization_id": organization_id,
                "payload": payload or {},
                "created_at": when,
            },
        )
        return entry_id

    def notify(self, officer_id: int, case_id: int, entry_id: int, kind, when) -> None:
        """The officer told (and e-mailed at once, the default choice), read a day later."""
        notification_id = self.writer.new_id("notifications")
        read = when + dt.timedelta(days=1)
        self.writer.add(
            "notifications",
            {
                "id": notification_id,
                "user_id": officer_id,
                "case_id": case_id,
                "entry_id": entry_id,
                "kind": kind,
                "email": NotificationMode.IMMEDIATE,
                "digest_id": None,
                "created_at": when,
                "read_at": read if read < self.now else None,
            },
        )
        self.writer.add(
            "outbox_emails",
            {
                "id": self.writer.new_id("outbox_emails"),
                "user_id": officer_id,
                "notification_id": notification_id,
                "digest_id": None,
                "status": OutboxStatus.SENT,
                "attempts": 1,
                "next_attempt_at": when,
                "claimed_until": None,
                "last_error": None,
                "sent_at": when,
                "created_at": when,
            },
        )

    def audit(self, user_id: int, role: str, action, when, case_id: int | None) -> None:
        self.writer.add(
            "audit_events",
            {
                "id": self.writer.new_id("audit_events"),
                "at": when,
                "user_id": user_id,
                "role": role,
                "ip_address": f"10.0.{user_id % 250}.{user_id % 200 + 1}",
                "action": action,
                "object_type": "case" if case_id else None,
                "object_id": case_id,
                "case_id": case_id,
                "outcome": AuditOutcome.OK,
            },
        )


def _status(ctx: Context, age: int) -> CaseStatus:
    """The status a case of this age (days since referral) is likely in."""
    r = ctx.rng.random()
    deadline = ctx.deadline_days
    if age < 3:
        table = [(0.80, CaseStatus.REFERRED), (0.95, CaseStatus.ACCEPTED)]
    elif age < 14:
        table = [
            (0.15, CaseStatus.REFERRED),
            (0.60, CaseStatus.ACCEPTED),
            (0.85, CaseStatus.ACTIVE),
        ]
    elif age <= deadline:
        table = [
            (0.25, CaseStatus.ACCEPTED),
            (0.80, CaseStatus.ACTIVE),
            (0.85, CaseStatus.WITHDRAWN),
        ]
    elif age < deadline + 10:
        table = [(0.15, CaseStatus.ACCEPTED), (0.25, CaseStatus.NON_COMPLIANT)]
        table.append((0.85, CaseStatus.ACTIVE))
    else:
        table = [(0.07, CaseStatus.NON_COMPLIANT), (0.10, CaseStatus.WITHDRAWN)]
        table.append((0.85, CaseStatus.ACTIVE))
    return next((status for limit, status in table if r < limit), CaseStatus.DECLINED)


def _person(ctx: Context, referred_at: dt.datetime) -> tuple[int, str, str]:
    rng = ctx.rng
    if ctx.persons and rng.random() < 0.08:  # referred again, maybe by another officer
        person_id, first, last, _ = ctx.persons[rng.randrange(len(ctx.persons))]
        return person_id, first, last
    person_id = ctx.writer.new_id("persons")
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dob = dt.date(rng.randint(1955, 2005), rng.randint(1, 12), rng.randint(1, 28))
    ctx.writer.add(
        "persons",
        {
            "id": person_id,
            "first_name": first,
            "last_name": last,
            "aliases": "",
            "dob": dob,
            "phone": f"(304) 555-{rng.randint(0, 9999):04d}" if rng.random() < 0.6 else None,
            "email": None,
            "address": None,
            "created_at": referred_at,
            **outcomes.demographics(ctx),
        },
    )
    ctx.persons.append((person_id, first, last, dob))
    return person_id, first, last


def make_case(ctx: Context) -> None:
    """One referral and its whole life so far."""
    rng, w = ctx.rng, ctx.writer
    span = ctx.years * 365
    referred_at = ctx.now - dt.timedelta(days=span * rng.random() ** 1.3, hours=rng.random() * 8)
    referred_on = local_date(referred_at)
    age = (ctx.today - referred_on).days
    pick = bisect.bisect(ctx.cum_weights, rng.random() * ctx.cum_weights[-1])
    officer_id, agency_id = ctx.directory.officers[min(pick, len(ctx.directory.officers) - 1)]
    cm = rng.choice(ctx.directory.case_managers)
    status = _status(ctx, age)
    person_id, first, last = _person(ctx, referred_at)
    case_id = w.new_id("cases")
    referral_type = rng.choices(OFFICER_REFERRAL_TYPES, [6, 3, 1])[0]
    offence, statute = rng.choice(OFFENCES)
    occurred_at = referred_at - dt.timedelta(minutes=45)
    deadline = referred_on + dt.timedelta(days=ctx.deadline_days)
    row = {
        "id": case_id,
        "person_id": person_id,
        "referred_first_name": first,
        "referred_last_name": last,
        "officer_id": officer_id,
        "agency_id": agency_id,
        "referral_type": referral_type,
        "incident_number": None
        if referral_type == ReferralType.COMMUNITY
        else f"{referred_on.year}-{rng.randint(10000, 99999)}",
        "offences": offence,
        "statutes": statute,
        "occurred_at": occurred_at,
        "location": "Main St, Oak Hill",
        "eligibility": ctx.eligibility,
        "notes": "",
        "status": status,
        "referred_at": referred_at,
        "intake_deadline": deadline,
        "screened_by_id": None,
        "case_manager_id": None,
        "screened_at": None,
        "decline_reason": None,
        "intake_completed_on": None,
        "closed_on": None,
        "exit_reason": None,
        "exit_note": "",
        "charge_file_by": local_date(occurred_at) + dt.timedelta(days=ctx.filing_days)
        if referral_type == ReferralType.ARREST
        else None,
        "version": 1,
        "updated_at": referred_at,
        "submission_key": None,
    }
    w.add("cases", row)  # updated below as its life goes on: the writer flushes between cases
    ctx.entry(
        case_id,
        TimelineKind.REFERRAL_RECEIVED,
        officer_id,
        referred_at,
        {"referral_type": referral_type.value, "reused_person": False},
    )
    ctx.audit(officer_id, "officer", AuditAction.CREATE, referred_at, case_id)
    if status == CaseStatus.REFERRED:
        return
    elapsed = (ctx.now - referred_at).total_seconds()
    screened_at = referred_at + dt.timedelta(seconds=min(elapsed * 0.3, rng.randint(2, 72) * 3600))
    row.update(screened_by_id=cm, screened_at=screened_at, updated_at=screened_at)
    if status != CaseStatus.DECLINED:  # the accepting case manager takes it, as the office does
        row["case_manager_id"] = cm
    ctx.audit(cm, "staff", AuditAction.VIEW_RECORD, screened_at, case_id)
    outcomes.prior_events(ctx, case_id, person_id, agency_id, referred_on, cm, screened_at)
    if status == CaseStatus.DECLINED:
        reason = rng.choice(ctx.exclusions[:-1])
        row["decline_reason"] = reason
        kind, payload = TimelineKind.REFERRAL_DECLINED, {"reason": reason, "note": ""}
    else:
        kind, payload = TimelineKind.REFERRAL_ACCEPTED, {}
    to = CaseStatus.DECLINED if status == CaseStatus.DECLINED else CaseStatus.ACCEPTED
    payload = {"from": "referred", "to": to.value, **payload}
    entry_id = ctx.entry(case_id, kind, cm, screened_at, payload)
    ctx.notify(officer_id, case_id, entry_id, kind, screened_at)
    if status in (CaseStatus.DECLINED, CaseStatus.ACCEPTED):
        if status == CaseStatus.ACCEPTED and deadline < ctx.today:
            _flag(ctx, case_id, deadline, FlagStatus.OPEN, None)
        return
    screened_on = local_date(screened_at)
    if status == CaseStatus.NON_COMPLIANT:
        closed_on = min(ctx.today, deadline + dt.timedelta(days=rng.randint(1, 10)))
        _flag(ctx, case_id, deadline, FlagStatus.CONFIRMED, (cm, closed_on))
        reason = ExitReason.NON_COMPLIANT_CONFIRMED
        _close(ctx, row, cm, CaseStatus.ACCEPTED, status, closed_on, reason, True)
        return
    if status == CaseStatus.WITHDRAWN:  # left before intake: no consent, the officer is not told
        closed_on = min(ctx.today, screened_on + dt.timedelta(days=rng.randint(1, 10)))
        _close(ctx, row, cm, CaseStatus.ACCEPTED, status, closed_on, ExitReason.WITHDREW, False)
        return
    latest = min(ctx.today, deadline - dt.timedelta(days=1))
    intake_on = screened_on + dt.timedelta(days=rng.randint(0, max(0, (latest - screened_on).days)))
    intake_on = min(intake_on, latest) if latest >= screened_on else screened_on
    row.update(intake_completed_on=intake_on, status=CaseStatus.ACTIVE)
    intake_at = max(ctx.at(intake_on, 15), screened_at + dt.timedelta(minutes=5))
    entry_id = ctx.entry(
        case_id,
        TimelineKind.INTAKE_COMPLETED,
        cm,
        intake_at,
        {"from": "accepted", "to": "active", "completed_on": intake_on.isoformat()},
    )
    exit_on = intake_on + dt.timedelta(days=rng.randint(60, 600))
    closed = exit_on < ctx.today
    consented = rng.random() < 0.5
    if consented:
        _consent(ctx, case_id, agency_id, cm, intake_on, intake_at)
        ctx.notify(officer_id, case_id, entry_id, TimelineKind.INTAKE_COMPLETED, intake_at)
    _assessment(ctx, case_id, cm, intake_on, intake_at)
    end_on = exit_on if closed else ctx.today
    for _ in range(min(6, (end_on - intake_on).days // 45) + rng.randint(0, 1)):
        day = intake_on + dt.timedelta(days=rng.randint(0, (end_on - intake_on).days))
        _contact(ctx, case_id, cm, day)
    outcomes.monthly_statuses(ctx, case_id, cm, intake_on, end_on)
    outcomes.later_events(ctx, case_id, person_id, officer_id, agency_id, cm, intake_on)
    final = CaseStatus.ACTIVE
    if closed:
        final = CaseStatus.COMPLETED if rng.random() < 0.55 else CaseStatus.WITHDRAWN
    ctx.spells.append(Spell(case_id, officer_id, intake_on, end_on, final, consented))
    if closed:
        reason = ExitReason.COMPLETED if final == CaseStatus.COMPLETED else rng.choice(WITHDRAWN)
        # A consent to disclose status tells the officer of a withdrawal, not of completion.
        told = consented and final == CaseStatus.WITHDRAWN
        _close(ctx, row, cm, CaseStatus.ACTIVE, final, exit_on, reason, told)


def _close(ctx, row, cm, previous, status, closed_on, reason, told: bool) -> None:
    note = "Left the area without a forwarding address." if reason == ExitReason.OTHER else ""
    when = max(ctx.at(closed_on, 16), row["updated_at"] + dt.timedelta(minutes=1))
    row.update(status=status, closed_on=closed_on, exit_reason=reason, exit_note=note)
    row["updated_at"] = when
    kind = {
        CaseStatus.COMPLETED: TimelineKind.CASE_COMPLETED,
        CaseStatus.WITHDRAWN: TimelineKind.CASE_WITHDRAWN,
        CaseStatus.NON_COMPLIANT: TimelineKind.CASE_NON_COMPLIANT,
    }[status]
    payload = {
        "from": previous.value,
        "to": status.value,
        "closed_on": closed_on.isoformat(),
        "exit_reason": reason.value,
        "note": note,
    }
    entry_id = ctx.entry(row["id"], kind, cm, when, payload)
    if told:
        ctx.notify(row["officer_id"], row["id"], entry_id, kind, when)


def _flag(ctx: Context, case_id: int, deadline: dt.date, status, decided) -> None:
    raised = ctx.at(deadline + dt.timedelta(days=1), 6)
    ctx.writer.add(
        "compliance_flags",
        {
            "id": ctx.writer.new_id("compliance_flags"),
            "case_id": case_id,
            "rule": RuleCode.INTAKE_DEADLINE,
            "breach_key": f"deadline:{deadline.isoformat()}",
            "evidence": f"Intake deadline {deadline.isoformat()} passed; intake not recorded.",
            "raised_at": raised,
            "status": status,
            "decided_by_id": decided[0] if decided else None,
            "decided_at": ctx.at(decided[1], 11) if decided else None,
            "reason": "No contact since the referral; intake not completed." if decided else "",
            "version": 2 if decided else 1,
        },
    )


def _consent(ctx, case_id, agency_id, cm, signed_on, when) -> None:
    rng = ctx.rng
    consent_id = ctx.writer.new_id("consents")
    attendance = rng.random() < 0.3
    criminal_justice = rng.random() < 0.3
    ctx.writer.add(
        "consents",
        {
            "id": consent_id,
            "case_id": case_id,
            "legacy": False,
            "provider_ids": [],
            "discloses_status": True,
            "discloses_attendance": attendance,
            "discloses_outcome": False,
            "recipient_kind": RecipientKind.AGENCY,
            "recipient_agency_id": agency_id,
            "recipient_officer_id": None,
            "recipient_name": None,
            "purpose": CONSENT_PURPOSE,
            "revocation_terms": "In writing to the program office, at any time.",
            "expires_on": None,
            "expiry_event": "The participant's exit from the program",
            "signed_on": signed_on,
            "signature_method": SignatureMethod.WET,
            "witness_id": cm,
            "criminal_justice": criminal_justice,
            "irrevocable_until": None,
            "irrevocable_event": "Final disposition of the charge" if criminal_justice else None,
            "revoked_on": None,
            "revocation_received": None,
            "created_at": when,
            "created_by_id": cm,
        },
    )
    agency_name = dict(ctx.directory.agencies)[agency_id]
    summary = "Program status (enrolled, engaged in services, withdrawn)"
    if attendance:
        summary += "; Attendance summary (sessions attended and missed)"
    ctx.entry(
        case_id,
        TimelineKind.CONSENT_RECORDED,
        cm,
        when,
        {"consent_id": consent_id, "summary": summary, "recipient": agency_name},
    )


def _assessment(ctx, case_id, cm, day, when) -> None:
    rng = ctx.rng
    assessment_id = ctx.writer.new_id("assessments")
    needs = {d: rng.choices(LEVELS, [3, 3, 3, 2])[0] for d in NeedDomain}
    detox = needs[NeedDomain.SUBSTANCE_USE] == NeedLevel.HIGH and rng.random() < 0.4
    ctx.writer.add(
        "assessments",
        {
            "id": assessment_id,
            "case_id": case_id,
            "assessed_by_id": cm,
            "assessed_on": day,
            "substances": rng.choice(["Heroin, fentanyl", "Methamphetamine", "Alcohol", ""]),
            "detox_needed": detox,
            "created_at": when,
        },
    )
    for domain, level in needs.items():
        ctx.writer.add(
            "assessment_needs",
            {
                "id": ctx.writer.new_id("assessment_needs"),
                "assessment_id": assessment_id,
                "domain": domain,
                "level": level,
                "note": "",
            },
        )
    ctx.entry(
        case_id,
        TimelineKind.ASSESSMENT_RECORDED,
        cm,
        when + dt.timedelta(minutes=10),
        {
            "summary": summarize(needs, detox),
            "completed_on": day.isoformat(),
            "assessment_id": assessment_id,
        },
    )


def _contact(ctx, case_id, cm, day) -> None:
    kind = ctx.rng.choices(list(ContactKind), [5, 3, 2])[0]
    when = ctx.at(day, 14, ctx.rng.randint(0, 59))
    note = "Checked in about the service plan."
    ctx.writer.add(
        "contacts",
        {
            "id": ctx.writer.new_id("contacts"),
            "case_id": case_id,
            "staff_id": cm,
            "contacted_on": day,
            "kind": kind,
            "note": note,
            "created_at": when,
        },
    )
    ctx.entry(
        case_id,
        TimelineKind.CONTACT_RECORDED,
        cm,
        when,
        {"contact_kind": kind.label, "completed_on": day.isoformat(), "note": note},
    )


def officer_weights(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))
