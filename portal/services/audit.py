"""The audit trail: every create, change and delete of a record, and the events services and
views name (sign-in, views of a participant's record, exports), written in the transaction of
what they record.

How it stays cheap and complete:
- the web layer says who is acting (`set_actor`, per request, in a context variable);
- a flush listener turns inserts, updates and deletes of the audited models into rows, and
  `record` adds the named events; both wait in the session until its commit;
- at the commit, the transaction's rows go in as one multi-row INSERT (one statement), so a
  change and its audit rows are committed, or rolled back, together.

Rows hold ids, an action and an outcome: never names, free text, passwords, tokens or search
terms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass

from sqlalchemy import and_, delete, event, insert, inspect, or_, select, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from portal.clock import local_instant, utcnow
from portal.extensions import db
from portal.models import (
    Agency,
    Assessment,
    Attendance,
    AttendanceCorrection,
    AuditAction,
    AuditEvent,
    AuditOutcome,
    Case,
    ComplianceFlag,
    ComplianceRule,
    Consent,
    ConsentDocument,
    Contact,
    DropInCount,
    DropInVisit,
    Episode,
    Invitation,
    JusticeEvent,
    MonthlyStatus,
    NotificationPreference,
    Organization,
    Person,
    PersonMatchDecision,
    ProgramPage,
    ProgramSettings,
    Service,
    ServiceReferral,
    ServiceSchedule,
    StaffRole,
    User,
)
from portal.policy import can_view_audit, require

# --- who is acting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    role: str | None = None
    ip_address: str | None = None


NOBODY = Actor()  # a command-line task, or a test calling a service directly
_actor: ContextVar[Actor] = ContextVar("audit_actor", default=NOBODY)


def set_actor(user: User | None, ip_address: str | None) -> Token:
    """Who the rows of this request are attributed to (the web layer calls it per request)."""
    if user is None:
        return _actor.set(Actor(ip_address=ip_address))
    return _actor.set(Actor(user.id, _role(user), ip_address))


def reset_actor(token: Token) -> None:
    _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


def _role(user: User) -> str | None:
    role = getattr(user, "role", None)
    return getattr(role, "value", role)


# --- what is audited ----------------------------------------------------------------------------

# Every model whose inserts, updates and deletes are audited. Add a model here (a consent, say)
# and its changes are recorded; nothing else to do.
AUDITED: tuple[type, ...] = (
    Agency,
    Assessment,
    Attendance,
    AttendanceCorrection,
    Case,
    ComplianceFlag,
    ComplianceRule,
    Consent,
    ConsentDocument,
    Contact,
    DropInCount,
    DropInVisit,
    Episode,
    Invitation,
    JusticeEvent,
    MonthlyStatus,
    NotificationPreference,
    Organization,
    Person,
    PersonMatchDecision,
    ProgramPage,
    ProgramSettings,
    Service,
    ServiceReferral,
    ServiceSchedule,
    User,
)

# Columns whose change alone is bookkeeping, not an edit (sign-in counters:
# sign-in and sign-out have rows of their own).
BOOKKEEPING: dict[type, frozenset[str]] = {
    User: frozenset({"failed_logins", "locked_until", "last_login_at"}),
    ProgramPage: frozenset({"updated_at"}),
    ProgramSettings: frozenset({"updated_at"}),
    ComplianceRule: frozenset({"updated_at"}),
    NotificationPreference: frozenset({"updated_at"}),
}

# How to find the case of a row that does not hold `case_id` itself: the parent's model and the
# foreign key to it (looked up in the session only, never with a query).
PARENTS: dict[type, tuple[type, str]] = {
    Attendance: (ServiceReferral, "service_referral_id"),
    AttendanceCorrection: (Attendance, "attendance_id"),
    ConsentDocument: (Consent, "consent_id"),
    Episode: (ServiceReferral, "service_referral_id"),
}

PENDING = "audit_pending"


class AppendOnly(RuntimeError):
    """An audit row was changed or deleted through the ORM: the trail is append-only."""


def _audited(obj) -> bool:
    return isinstance(obj, AUDITED)


def _case_of(session: Session, obj) -> int | None:
    if isinstance(obj, Case):
        return obj.id
    case_id = getattr(obj, "case_id", None)
    if case_id is not None:
        return case_id
    parent = PARENTS.get(type(obj))
    if parent is None:
        return None
    model, key = parent
    loaded = session.identity_map.get(identity_key(model, getattr(obj, key)))
    return _case_of(session, loaded) if loaded is not None else None


def _changed(obj) -> set[str]:
    state = inspect(obj)
    return {
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    }


def _change_actions(obj, changed: set[str]) -> list[AuditAction]:
    """What an update was: a user's role, password and state changes are actions of their own."""
    changed = changed - BOOKKEEPING.get(type(obj), frozenset())
    if not isinstance(obj, User):
        return [AuditAction.CHANGE] if changed else []
    actions = []
    roles = {"role", *(duty.value for duty in StaffRole)}
    if changed & roles:
        actions.append(AuditAction.ROLE_CHANGE)
    # A hash upgraded at sign-in (same password, stronger parameters) is not a password change.
    if "password_hash" in changed and "last_login_at" not in _changed(obj):
        actions.append(AuditAction.PASSWORD_CHANGE)
    if "active" in changed:
        actions.append(AuditAction.REACTIVATE if obj.active else AuditAction.DEACTIVATE)
    if changed - roles - {"password_hash", "must_change_password", "active"}:
        actions.append(AuditAction.CHANGE)
    return actions


# --- rows waiting for the commit ----------------------------------------------------------------


def _row(
    action: AuditAction,
    object_type: str | None,
    object_id: int | None,
    case_id: int | None,
    outcome: AuditOutcome,
    user: User | None,
) -> dict:
    actor = current_actor()
    return {
        "at": utcnow(),
        "user_id": user.id if user is not None else actor.user_id,
        "role": _role(user) if user is not None else actor.role,
        "ip_address": actor.ip_address,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": case_id,
        "outcome": outcome,
    }


def _transaction(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _add(session: Session, row: dict) -> None:
    session.info.setdefault(PENDING, []).append((_transaction(session), row))


def has_pending(session: Session | None = None) -> bool:
    """Whether rows wait for this session's commit (a page view's, say)."""
    return bool((session or db.session).info.get(PENDING))


def record(
    action: AuditAction,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    case_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.OK,
    user: User | None = None,
) -> None:
    """Add an event to this transaction's audit rows (`user`: who, when not the request's actor,
    as at sign-in); it is written at the commit, or dropped with a rollback."""
    _add(db.session(), _row(action, object_type, object_id, case_id, outcome, user))


def record_view(object_type: str, object_id: int, case_id: int | None) -> None:
    """A participant's record was shown: one row per page or fragment, however many loads."""
    session = db.session()
    for _, row in session.info.get(PENDING, []):
        if (row["action"], row["object_type"], row["object_id"]) == (
            AuditAction.VIEW_RECORD,
            object_type,
            object_id,
        ):
            return
    _add(
        session,
        _row(AuditAction.VIEW_RECORD, object_type, object_id, case_id, AuditOutcome.OK, None),
    )


def _before_flush(session: Session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AppendOnly("Audit rows are never changed or deleted.")


def _after_flush(session: Session, _context) -> None:
    """Turn this flush's inserts, updates and deletes of audited models into pending rows."""
    found: list[tuple[AuditAction, object]] = []
    found += [(AuditAction.CREATE, obj) for obj in session.new if _audited(obj)]
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            found += [(action, obj) for action in _change_actions(obj, _changed(obj))]
    found += [(AuditAction.DELETE, obj) for obj in session.deleted if _audited(obj)]
    for action, obj in found:
        _add(
            session,
            _row(
                action,
                type(obj).__tablename__,
                inspect(obj).mapper.primary_key_from_instance(obj)[0],
                _case_of(session, obj),
                AuditOutcome.OK,
                None,
            ),
        )


_INSERT = insert(AuditEvent.__table__)


def _before_commit(session: Session) -> None:
    """Write the transaction's rows with it: one INSERT of many rows."""
    if session.in_nested_transaction():
        return  # a savepoint's rows wait for the outer commit
    session.flush()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    rows = [row for _, row in pending]
    # One row (a page view) is one plain INSERT; more are one multi-row INSERT.
    session.connection().execute(_INSERT, rows[0] if len(rows) == 1 else rows)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """A rollback drops the rows of what it undid (a savepoint's, or all of them)."""
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [(t, row) for t, row in pending if not _within(t, previous)]


def install() -> None:
    """Listen to every session (idempotent)."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- reading the trail --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    case_id: int | None = None
    person_id: int | None = None
    action: AuditAction | None = None
    since: dt.date | None = None  # local dates, both included
    until: dt.date | None = None


def _query(criteria: AuditFilter):
    query = select(AuditEvent)
    if criteria.user_id is not None:
        query = query.where(AuditEvent.user_id == criteria.user_id)
    if criteria.case_id is not None:
        query = query.where(AuditEvent.case_id == criteria.case_id)
    if criteria.person_id is not None:
        cases = select(Case.id).where(Case.person_id == criteria.person_id)
        query = query.where(
            or_(
                AuditEvent.case_id.in_(cases),
                and_(
                    AuditEvent.object_type == Person.__tablename__,
                    AuditEvent.object_id == criteria.person_id,
                ),
            )
        )
    if criteria.action is not None:
        query = query.where(AuditEvent.action == criteria.action)
    if criteria.since is not None:
        query = query.where(AuditEvent.at >= local_instant(criteria.since, dt.time()))
    if criteria.until is not None:
        next_day = criteria.until + dt.timedelta(days=1)
        query = query.where(AuditEvent.at < local_instant(next_day, dt.time()))
    return query


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # the keyset cursor of the next (older) page


def audit_page(actor: User, criteria: AuditFilter, before: int | None, size: int) -> AuditPage:
    """One page of the trail, newest first (keyset on the id), for an administrator; the
    viewing itself is audited."""
    require(can_view_audit(actor), "Only administrators read the audit trail.")
    query = _query(criteria).order_by(AuditEvent.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.scalars(query))
    more = len(events) > size
    events = events[:size]
    record(AuditAction.VIEW_AUDIT, object_type=AuditEvent.__tablename__)
    return AuditPage(events, events[-1].id if more and events else None)


EXPORT_BATCH = 500


def export_events(actor: User, criteria: AuditFilter) -> Iterator[list[AuditEvent]]:
    """The whole filtered trail, newest first, in batches (keyset, so memory stays flat).

    The export is audited at once: the caller commits before the first batch is read.
    """
    require(can_view_audit(actor), "Only administrators export the audit trail.")
    record(AuditAction.EXPORT, object_type=AuditEvent.__tablename__)

    def batches() -> Iterator[list[AuditEvent]]:
        before = None
        while True:
            query = _query(criteria).order_by(AuditEvent.id.desc()).limit(EXPORT_BATCH)
            if before is not None:
                query = query.where(AuditEvent.id < before)
            rows = list(db.session.scalars(query))
            if not rows:
                return
            yield rows
            before = rows[-1].id
            for row in rows:
                db.session.expunge(row)  # memory stays flat however long the trail

    return batches()


# --- retention ----------------------------------------------------------------------------------


def prune(now: dt.datetime | None = None) -> int:
    """Delete audit rows older than the retention setting (the only delete the database allows);
    returns how many. The caller commits."""
    settings = db.session.scalar(select(ProgramSettings).order_by(ProgramSettings.id).limit(1))
    retention = settings.audit_retention_days
    cutoff = (now or utcnow()) - dt.timedelta(days=retention)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Only for this transaction: the trigger lets the prune delete, nothing else.
        db.session.execute(text("SELECT set_config('portal.audit_prune', 'on', true)"))
    result = db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    if postgres:
        db.session.execute(text("SELECT set_config('portal.audit_prune', 'off', true)"))
    return result.rowcount
