"""A case manager's review of compliance flags: the queue, dismissal and confirmation.

Nothing reaches an officer without a confirmation: an open or dismissed flag changes nothing on
the case. Confirming closes the case as non-compliant (its places released, the timeline entry
written) in the same transaction as the flag's decision; a flag decided meanwhile (a double
click, a colleague, the breach resolved) is refused, so the decision applies once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    ComplianceFlag,
    Contact,
    FlagStatus,
    TimelineEntry,
    User,
    is_open_flag,
)
from portal.policy import can_review_compliance, compliance_flag_scope, require
from portal.services.cases import NON_COMPLIANT_CONFIRMED, can_transition, close_case
from portal.services.errors import Conflict, InvalidTransition, ValidationFailed

REVIEW_ONLY = "Only the program office reviews compliance flags."
REASON_MAX = 2000
RECENT_ENTRIES = 5  # of each case's timeline, beside its flag
RECENT_CONTACTS = 5
MAX_PAGE = 50
DECIDED_MESSAGE = (
    "This flag was decided meanwhile ({status}); nothing was changed. The queue shows it as it is."
)


# --- the queue ----------------------------------------------------------------------------------


def _open_flags(actor: User):
    """Open flags, as the actor may see them (an exit resolves its case's open flags, so an
    open flag's case is open: the queue reads the partial index of open flags alone)."""
    return compliance_flag_scope(actor).where(is_open_flag())


def open_flag_count(actor: User) -> int:
    """How many flags wait for review (the number beside the queue's link)."""
    if not can_review_compliance(actor):
        return 0
    query = _open_flags(actor).with_only_columns(func.count(ComplianceFlag.id))
    return db.session.scalar(query) or 0


@dataclass(frozen=True)
class ReviewItem:
    flag: ComplianceFlag  # with its case and the case's person loaded
    timeline: list[TimelineEntry]  # the case's latest entries, newest first
    contacts: list[tuple[Contact, str]]  # the latest contacts and outreach attempts, with staff


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewItem]
    next_cursor: str | None  # the keyset cursor of the next page (later flags)


def cursor_of(flag: ComplianceFlag) -> str:
    return f"{flag.raised_at.isoformat()}_{flag.id}"


def parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    """A cursor from the address, or None when it cannot be read (the first page)."""
    if not value or len(value) > 80:
        return None
    try:
        at, flag_id = value.rsplit("_", 1)
        raised = dt.datetime.fromisoformat(at)
        number = int(flag_id)
    except (ValueError, OverflowError):
        return None
    if raised.tzinfo is None or not 0 <= number < 2**31:
        return None
    return raised.astimezone(dt.UTC), number


def review_page(actor: User, after: str | None, size: int) -> ReviewPage:
    """Open flags oldest first (keyset on when raised, then id), each with its case's recent
    timeline and contacts: three queries whatever the page's length."""
    require(can_review_compliance(actor), REVIEW_ONLY)
    size = max(1, min(size, MAX_PAGE))
    query = (
        _open_flags(actor)
        .join(Case, Case.id == ComplianceFlag.case_id)
        .options(contains_eager(ComplianceFlag.case).joinedload(Case.person))
        .order_by(ComplianceFlag.raised_at, ComplianceFlag.id)
        .limit(size + 1)
    )
    cursor = parse_cursor(after)
    if cursor is not None:
        at, flag_id = cursor
        query = query.where(
            or_(
                ComplianceFlag.raised_at > at,
                and_(ComplianceFlag.raised_at == at, ComplianceFlag.id > flag_id),
            )
        )
    flags = list(db.session.scalars(query))
    more = len(flags) > size
    flags = flags[:size]
    case_ids = sorted({f.case_id for f in flags})
    timelines = recent_entries(case_ids, RECENT_ENTRIES)
    contacts = recent_contacts(case_ids, RECENT_CONTACTS)
    items = [ReviewItem(f, timelines[f.case_id], contacts[f.case_id]) for f in flags]
    return ReviewPage(items, cursor_of(flags[-1]) if more and flags else None)


def review_item(actor: User, flag: ComplianceFlag) -> ReviewItem:
    """One flag (in any status) with its case's recent timeline and contacts."""
    require(can_review_compliance(actor), REVIEW_ONLY)
    timeline = recent_entries([flag.case_id], RECENT_ENTRIES)[flag.case_id]
    return ReviewItem(
        flag, timeline, recent_contacts([flag.case_id], RECENT_CONTACTS)[flag.case_id]
    )


def recent_entries(case_ids: list[int], limit: int) -> dict[int, list[TimelineEntry]]:
    """The latest `limit` timeline entries of each case, newest first (one query)."""
    found: dict[int, list[TimelineEntry]] = defaultdict(list)
    if not case_ids:
        return found
    number = (
        func.row_number()
        .over(
            partition_by=TimelineEntry.case_id,
            order_by=(TimelineEntry.created_at.desc(), TimelineEntry.id.desc()),
        )
        .label("number")
    )
    ranked = select(TimelineEntry, number).where(TimelineEntry.case_id.in_(case_ids)).subquery()
    entry = aliased(TimelineEntry, ranked)
    for row in db.session.scalars(
        select(entry)
        .where(ranked.c.number <= limit)
        .options(joinedload(entry.actor))
        .order_by(ranked.c.case_id, ranked.c.number)
    ):
        found[row.case_id].append(row)
    return found


def recent_contacts(case_ids: list[int], limit: int) -> dict[int, list[tuple[Contact, str]]]:
    """The latest `limit` contacts and outreach attempts of each case, newest first, each with
    the staff member's name (one query)."""
    found: dict[int, list[tuple[Contact, str]]] = defaultdict(list)
    if not case_ids:
        return found
    number = (
        func.row_number()
        .over(
            partition_by=Contact.case_id,
            order_by=(Contact.contacted_on.desc(), Contact.id.desc()),
        )
        .label("number")
    )
    ranked = select(Contact, number).where(Contact.case_id.in_(case_ids)).subquery()
    contact = aliased(Contact, ranked)
    for row, name in db.session.execute(
        select(contact, User.name)
        .join(User, User.id == contact.staff_id)
        .where(ranked.c.number <= limit)
        .order_by(ranked.c.case_id, ranked.c.number)
    ):
        found[row.case_id].append((row, name))
    return found


# --- decisions ----------------------------------------------------------------------------------


def _require_open(flag: ComplianceFlag, version: int | None) -> None:
    if version is not None and version != flag.version:
        raise Conflict(DECIDED_MESSAGE.format(status=flag.status.label.lower()))
    if flag.status != FlagStatus.OPEN:
        raise InvalidTransition(DECIDED_MESSAGE.format(status=flag.status.label.lower()))


def _decide(flag: ComplianceFlag, actor: User, status: FlagStatus, reason: str) -> None:
    """Record the decision; the UPDATE carries the version read, so of two decisions made at
    once one is applied and the other refused."""
    flag.status = status
    flag.decided_by_id, flag.decided_at, flag.reason = actor.id, utcnow(), reason
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(DECIDED_MESSAGE.format(status="by someone else")) from None


def dismiss_flag(
    flag: ComplianceFlag, actor: User, reason: str, version: int | None = None
) -> ComplianceFlag:
    """No action on this breach, for a stated reason; the case and what officers see are
    unchanged, and the same breach is not raised again."""
    require(can_review_compliance(actor), REVIEW_ONLY)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason for dismissing this flag.", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"Use at most {REASON_MAX:,} characters.", field="reason")
    _require_open(flag, version)
    _decide(flag, actor, FlagStatus.DISMISSED, reason)
    return flag


def confirm_flag(flag: ComplianceFlag, actor: User, version: int | None = None) -> Case:
    """The breach is confirmed: in one transaction the flag is confirmed and the case closed as
    non-compliant today (places released, the timeline entry {rule, date} written)."""
    require(can_review_compliance(actor), REVIEW_ONLY)
    _require_open(flag, version)
    case = db.session.get(Case, flag.case_id)
    assert case is not None
    if not can_transition(case.status, CaseStatus.NON_COMPLIANT):
        raise InvalidTransition(
            f"The case is {case.status.label.lower()}: it cannot be closed as non-compliant."
        )
    _decide(flag, actor, FlagStatus.CONFIRMED, "")
    today = local_today()
    return close_case(
        case,
        actor,
        CaseStatus.NON_COMPLIANT,
        today,
        NON_COMPLIANT_CONFIRMED,
        details={"rule": flag.rule.value, "date": today.isoformat()},
    )


CASE_FLAGS_SHOWN = 10


def case_flags(actor: User, case: Case, limit: int = CASE_FLAGS_SHOWN) -> list[ComplianceFlag]:
    """A case's flags, newest first (at most `limit`), as the actor may see them: the case page
    shows what was raised and how it was decided."""
    return list(
        db.session.scalars(
            compliance_flag_scope(actor)
            .where(ComplianceFlag.case_id == case.id)
            .order_by(ComplianceFlag.raised_at.desc(), ComplianceFlag.id.desc())
            .limit(limit)
        )
    )
