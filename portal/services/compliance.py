"""The program's rules, and the flags their breaches raise (never a message to an officer).

Evaluation is set-based: for a range of cases (a batch of the nightly check, or the one case an
event touched) each rule is one query returning the cases in breach, with the breach's key and
evidence. Open flags whose breach has gone are resolved; new breaches are inserted with
INSERT .. ON CONFLICT DO NOTHING against two partial unique indexes (one open flag per case
and rule; one flag per breach unless resolved), so evaluating the same breach again, or from
two hosts at once, raises one flag.

Golden rule: a flag is for a case manager to review. Dismissing or confirming it is
`compliance_review`'s business; nothing here closes a case or tells anyone outside the office.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceStatus,
    AuditAction,
    Case,
    CaseStatus,
    ComplianceFlag,
    ComplianceRule,
    Contact,
    ContactKind,
    FlagStatus,
    ReferralStatus,
    RuleCode,
    ServiceReferral,
    User,
    is_open_flag,
)
from portal.policy import can_manage_settings, require
from portal.services import audit
from portal.services.errors import ValidationFailed

PARAMETER_MIN, PARAMETER_MAX = 1, 365
# The rules as the migration seeds them: (enabled, N).
DEFAULT_RULES = {
    RuleCode.INTAKE_DEADLINE: (True, None),
    RuleCode.NO_CONTACT: (False, 30),
    RuleCode.MISSED_SESSIONS: (False, 3),
}
OPEN_CASE_STATUSES = (CaseStatus.REFERRED, CaseStatus.ACCEPTED, CaseStatus.ACTIVE)
# A contact with the person (an outreach attempt that did not reach them is not one).
CONTACT_KINDS = (ContactKind.IN_PERSON, ContactKind.PHONE)
# What ends a run of misses: the person came, or let the provider know.
RUN_BREAKERS = (AttendanceStatus.ATTENDED, AttendanceStatus.EXCUSED)
RESOLVED_BREACH_GONE = "Resolved automatically: the breach no longer holds."
RESOLVED_RULE_OFF = "Resolved automatically: the rule was switched off."


# --- the rules ----------------------------------------------------------------------------------


def get_rules() -> dict[RuleCode, ComplianceRule]:
    """The program's rules by code (the migration created them)."""
    return {r.code: r for r in db.session.scalars(select(ComplianceRule))}


def ordered_rules() -> list[ComplianceRule]:
    """The rules in the order the settings page lists them."""
    rules = get_rules()
    return [rules[code] for code in RuleCode if code in rules]


@dataclass(frozen=True)
class RuleSetting:
    """A rule as read at the start of an evaluation (kept across the run's commits)."""

    code: RuleCode
    enabled: bool
    parameter: int | None


def rule_settings() -> list[RuleSetting]:
    """The rules as they stand now, in the settings page's order."""
    return [RuleSetting(r.code, r.enabled, r.parameter) for r in ordered_rules()]


def default_rules() -> list[dict]:
    """The rows the migration seeds, as column values (for a database emptied by a test)."""
    return [
        {"code": code, "enabled": enabled, "parameter": parameter, "updated_at": utcnow()}
        for code, (enabled, parameter) in DEFAULT_RULES.items()
    ]


def update_rule(
    actor: User, code: RuleCode, *, enabled: bool, parameter: int | None
) -> ComplianceRule:
    """Switch a rule on or off and set its N (1 to 365; the intake deadline has none: each
    case keeps the deadline it was given at referral)."""
    require(can_manage_settings(actor), "Only administrators change the program's rules.")
    rule = get_rules().get(code)
    if rule is None:
        raise ValidationFailed("This rule does not exist.")
    if code.takes_parameter:
        if parameter is None or not PARAMETER_MIN <= parameter <= PARAMETER_MAX:
            raise ValidationFailed(
                f"Enter a whole number from {PARAMETER_MIN} to {PARAMETER_MAX}.", field="parameter"
            )
        rule.parameter = parameter
    rule.enabled = bool(enabled)
    db.session.flush()
    return rule


# --- breaches -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    key: str  # the same breach has the same key, however often it is found
    evidence: str  # dates and counts only: never clinical text


Within = Callable[[ColumnElement[int]], ColumnElement[bool]]
Breaches = dict[int, Breach]


def _intake_breaches(rule: RuleSetting, within: Within, today: dt.date) -> Breaches:
    """Accepted, and intake not recorded by the case's deadline (a local date: the breach
    starts on the day after it)."""
    rows = db.session.execute(
        select(Case.id, Case.intake_deadline).where(
            within(Case.id),
            Case.status == CaseStatus.ACCEPTED,
            Case.intake_completed_on.is_(None),
            Case.intake_deadline < today,
        )
    )
    return {
        case_id: Breach(
            f"deadline:{deadline.isoformat()}",
            f"Intake deadline {deadline.isoformat()} passed; intake not recorded.",
        )
        for case_id, deadline in rows
    }


def _no_contact_breaches(rule: RuleSetting, within: Within, today: dt.date) -> Breaches:
    """Active, and no contact with the person nor attendance for more than N days (counted from
    intake, the latest contact or the latest session attended)."""
    days = rule.parameter
    # One row per dated event; `active` marks the case's own row, so only active cases count
    # (no join back to the cases: the union stays a few index range scans).
    activity = union_all(
        select(
            Case.id.label("case_id"),
            Case.intake_completed_on.label("day"),
            literal(1).label("active"),
        ).where(within(Case.id), Case.status == CaseStatus.ACTIVE),
        select(Contact.case_id, Contact.contacted_on, literal(0)).where(
            within(Contact.case_id), Contact.kind.in_(CONTACT_KINDS)
        ),
        select(ServiceReferral.case_id, Attendance.session_date, literal(0))
        .join(Attendance, Attendance.service_referral_id == ServiceReferral.id)
        .where(within(ServiceReferral.case_id), Attendance.status == AttendanceStatus.ATTENDED),
    ).subquery()
    last = func.max(activity.c.day)
    rows = db.session.execute(
        select(activity.c.case_id, last)
        .group_by(activity.c.case_id)
        .having(last < today - dt.timedelta(days=days), func.max(activity.c.active) == 1)
    )
    return {
        case_id: Breach(
            f"since:{day.isoformat()}",
            f"No contact or attendance recorded since {day.isoformat()} "
            f"(the rule allows {days} days).",
        )
        for case_id, day in rows
    }


def _missed_sessions_breaches(rule: RuleSetting, within: Within, today: dt.date) -> Breaches:
    """Active, with N or more unexcused misses in a row at a service they were accepted to
    (a session attended or excused ends the run; a cancelled one does not count)."""
    misses = rule.parameter
    breaks = (
        select(
            Attendance.service_referral_id.label("referral_id"),
            func.max(Attendance.session_date).label("last_break"),
        )
        .join(ServiceReferral, ServiceReferral.id == Attendance.service_referral_id)
        .where(within(ServiceReferral.case_id), Attendance.status.in_(RUN_BREAKERS))
        .group_by(Attendance.service_referral_id)
        .subquery()
    )
    count = func.count(Attendance.id)
    rows = db.session.execute(
        select(
            ServiceReferral.case_id,
            ServiceReferral.id,
            count,
            func.min(Attendance.session_date),
            func.max(Attendance.session_date),
        )
        .join(Attendance, Attendance.service_referral_id == ServiceReferral.id)
        .join(Case, Case.id == ServiceReferral.case_id)
        .outerjoin(breaks, breaks.c.referral_id == ServiceReferral.id)
        .where(
            within(ServiceReferral.case_id),
            Case.status == CaseStatus.ACTIVE,
            ServiceReferral.status == ReferralStatus.ACCEPTED,
            Attendance.status == AttendanceStatus.MISSED,
            or_(breaks.c.last_break.is_(None), Attendance.session_date > breaks.c.last_break),
        )
        .group_by(ServiceReferral.case_id, ServiceReferral.id)
        .having(count >= misses)
        .order_by(ServiceReferral.case_id, ServiceReferral.id)
    )
    found: Breaches = {}
    for case_id, referral_id, missed, first, latest in rows:
        # One flag per case: the first service referral in breach stands for the others.
        found.setdefault(
            case_id,
            Breach(
                f"referral:{referral_id}:from:{first.isoformat()}",
                f"{missed} unexcused misses in a row at service referral #{referral_id}, "
                f"from {first.isoformat()} to {latest.isoformat()} (the rule allows {misses}).",
            ),
        )
    return found


FINDERS: dict[RuleCode, Callable[[RuleSetting, Within, dt.date], Breaches]] = {
    RuleCode.INTAKE_DEADLINE: _intake_breaches,
    RuleCode.NO_CONTACT: _no_contact_breaches,
    RuleCode.MISSED_SESSIONS: _missed_sessions_breaches,
}


# --- raising and resolving flags ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    raised: int = 0
    resolved: int = 0

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(self.raised + other.raised, self.resolved + other.resolved)


def _insert_flags(rule: RuleCode, breaches: Breaches, now: dt.datetime) -> int:
    """Insert a flag per breach; one already open, or the same breach reviewed, wins silently."""
    if not breaches:
        return 0
    rows = [
        {
            "case_id": case_id,
            "rule": rule,
            "breach_key": breach.key,
            "evidence": breach.evidence,
            "raised_at": now,
            "status": FlagStatus.OPEN,
            "reason": "",
            "version": 1,
        }
        for case_id, breach in sorted(breaches.items())
    ]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = ComplianceFlag.__table__
    # Many rows in one go (executemany, batched into multi-row INSERTs by the driver layer);
    # RETURNING tells which were new (psycopg reports no rowcount for ON CONFLICT DO NOTHING).
    inserted = db.session.execute(
        insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.case_id), rows
    ).all()
    for flag_id, case_id in inserted:
        audit.record(
            AuditAction.CREATE,
            object_type=ComplianceFlag.__tablename__,
            object_id=flag_id,
            case_id=case_id,
        )
    return len(inserted)


def _resolve_flags(flags: list[tuple[int, int]], reason: str, now: dt.datetime) -> int:
    """Resolve these open flags (id, case id); one decided meanwhile is left as it is."""
    if not flags:
        return 0
    table = ComplianceFlag.__table__
    resolved = db.session.execute(
        update(table)
        .where(table.c.id.in_([flag_id for flag_id, _ in flags]), table.c.status == FlagStatus.OPEN)
        .values(
            status=FlagStatus.RESOLVED,
            decided_at=now,
            decided_by_id=None,
            reason=reason,
            version=table.c.version + 1,
        )
        .returning(table.c.id, table.c.case_id)
    ).all()
    for flag_id, case_id in resolved:
        audit.record(
            AuditAction.CHANGE,
            object_type=ComplianceFlag.__tablename__,
            object_id=flag_id,
            case_id=case_id,
        )
    return len(resolved)


def _evaluate(within: Within, rules: Iterable[RuleSetting], today: dt.date) -> Outcome:
    """Evaluate every rule on the selected cases: resolve what no longer holds, raise what does.

    Statements: one query per rule enabled, one for the open flags, then at most one UPDATE
    and one INSERT per rule, whatever the number of cases selected.
    """
    now = utcnow()
    open_flags: dict[tuple[int, RuleCode], tuple[int, str]] = {
        (case_id, rule): (flag_id, key)
        for flag_id, case_id, rule, key in db.session.execute(
            select(
                ComplianceFlag.id,
                ComplianceFlag.case_id,
                ComplianceFlag.rule,
                ComplianceFlag.breach_key,
            )
            .where(within(ComplianceFlag.case_id), is_open_flag())
            .order_by(ComplianceFlag.id)
        )
    }
    by_code = {rule.code: rule for rule in rules}
    outcome = Outcome()
    for code in RuleCode:
        rule = by_code.get(code)
        enabled = rule is not None and rule.enabled
        breaches = FINDERS[code](rule, within, today) if enabled else {}
        stale = [
            (flag_id, case_id)
            for (case_id, flag_rule), (flag_id, key) in open_flags.items()
            if flag_rule == code and (case_id not in breaches or breaches[case_id].key != key)
        ]
        reason = RESOLVED_BREACH_GONE if enabled else RESOLVED_RULE_OFF
        # Resolved first: a breach whose key moved on (a later last contact) replaces its flag.
        resolved = _resolve_flags(stale, reason, now)
        fresh = {
            case_id: breach
            for case_id, breach in breaches.items()
            if open_flags.get((case_id, code), (None, None))[1] != breach.key
        }
        outcome += Outcome(_insert_flags(code, fresh, now), resolved)
    return outcome


def evaluate_case(case: Case, today: dt.date | None = None) -> Outcome:
    """Evaluate the rules on one case, at the event that may change its standing (intake,
    a contact, attendance, an exit): a breach gone is resolved at once, a new one raised."""
    db.session.flush()
    return _evaluate(lambda column: column == case.id, rule_settings(), today or local_today())


def evaluate_cases(case_ids: Iterable[int], today: dt.date | None = None) -> Outcome:
    """`evaluate_case` for several cases at once (a group session's attendance)."""
    ids = sorted(set(case_ids))
    if not ids:
        return Outcome()
    db.session.flush()
    return _evaluate(lambda column: column.in_(ids), rule_settings(), today or local_today())


@dataclass(frozen=True)
class Batch:
    first_id: int
    last_id: int
    cases: int
    outcome: Outcome


def evaluate_batch(
    after_id: int, size: int, today: dt.date, rules: list[RuleSetting] | None = None
) -> Batch | None:
    """Evaluate the cases of the next `size` case ids after `after_id` (keyset on the primary
    key, so each batch is a short index range whatever the table's size); None when no case is
    left. Each rule's query looks at the open cases of the range. The caller commits."""
    rows = db.session.execute(
        select(Case.id, Case.status).where(Case.id > after_id).order_by(Case.id).limit(size)
    ).all()
    if not rows:
        return None
    first, last = rows[0][0], rows[-1][0]
    rules = rules if rules is not None else rule_settings()
    outcome = _evaluate(lambda column: column.between(first, last), rules, today)
    checked = sum(1 for _, status in rows if status in OPEN_CASE_STATUSES)
    return Batch(first, last, checked, outcome)


def resolve_closed_cases() -> int:
    """Resolve the open flags of cases no longer open (closed by an exit the flag never saw)."""
    closed = select(Case.id).where(Case.status.not_in(OPEN_CASE_STATUSES))
    flags = db.session.execute(
        select(ComplianceFlag.id, ComplianceFlag.case_id).where(
            is_open_flag(), ComplianceFlag.case_id.in_(closed)
        )
    ).all()
    return _resolve_flags([(i, c) for i, c in flags], RESOLVED_BREACH_GONE, utcnow())
