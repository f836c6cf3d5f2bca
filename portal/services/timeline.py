"""The case timeline: writing entries, and reading the part of it a user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Case, ExitReason, RuleCode, TimelineEntry, TimelineKind, User
from portal.policy import sees_status_only, timeline_scope
from portal.services.notifications import notify_officers

# Status-level wording an officer sees; it never comes from the payload.
OFFICER_TEXT = {
    TimelineKind.REFERRAL_RECEIVED: "Referral received by the program",
    TimelineKind.REFERRAL_ACCEPTED: "Referral accepted; intake to be scheduled",
    TimelineKind.REFERRAL_DECLINED: "Referral declined by the program",
    TimelineKind.INTAKE_COMPLETED: "Intake complete; the person is enrolled",
    TimelineKind.ENGAGED: "Engaged in services",
    TimelineKind.CASE_COMPLETED: "Completed the program",
    TimelineKind.CASE_WITHDRAWN: "Withdrawn from the program",
    TimelineKind.CASE_NON_COMPLIANT: "Returned for non-compliance",
}


def add_entry(
    case: Case,
    kind: TimelineKind,
    actor: User | None,
    payload: dict | None = None,
    organization_id: int | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """Append one event to a case's timeline (in the caller's transaction), with the
    notifications of the officers it may reach."""
    entry = TimelineEntry(
        case_id=case.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        organization_id=organization_id,
        payload=payload or {},
        created_at=at or utcnow(),
    )
    db.session.add(entry)
    notify_officers(case, entry)
    return entry


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None
    show_ids: bool = True  # entry ids are the program's: an officer sees none (gaps would tell)


def get_timeline(
    case: Case, user: User, before: str | None = None, limit: int = 20
) -> TimelinePage:
    """One page of the case's timeline, newest first, as the user may see it (keyset paged)."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.case_id == case.id, timeline_scope(user, case))
        .order_by(TimelineEntry.created_at.desc(), TimelineEntry.id.desc())
        .limit(limit + 1)
    )
    if not sees_status_only(user):
        query = query.options(joinedload(TimelineEntry.actor))
    cursor = _parse_cursor(before)
    if cursor:
        at, entry_id = cursor
        query = query.where(
            or_(
                TimelineEntry.created_at < at,
                and_(TimelineEntry.created_at == at, TimelineEntry.id < entry_id),
            )
        )
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    show_ids = not sees_status_only(user)
    # An officer's cursor carries no entry id (its gaps would hint at hidden events): older
    # entries are those strictly before the last one's time, to the microsecond.
    last_id = rows[-1].id if show_ids and rows else 0
    next_cursor = f"{rows[-1].created_at.isoformat()}_{last_id}" if more else None
    return TimelinePage(rows, next_cursor, show_ids)


MAX_ENTRY_ID = 2**31 - 1  # an integer column


def _parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    try:
        at, entry_id = value.rsplit("_", 1)
        parsed = dt.datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            return None
        number = int(entry_id)
        # A cursor is text from the address: keep it within what the columns hold.
        if not 0 <= number <= MAX_ENTRY_ID:
            return None
        return parsed.astimezone(dt.UTC), number
    except (ValueError, OverflowError):
        return None


STAFF_TEXT = {
    TimelineKind.REFERRAL_RECEIVED: "Referral received",
    TimelineKind.REFERRAL_ACCEPTED: "Referral accepted at screening",
    TimelineKind.REFERRAL_DECLINED: "Referral declined at screening",
    TimelineKind.INTAKE_COMPLETED: "Intake completed; case active",
    TimelineKind.ASSESSMENT_RECORDED: "Needs assessment recorded",
    TimelineKind.CONTACT_RECORDED: "Case-manager contact recorded",
    TimelineKind.SERVICE_REFERRED: "Referred to a service",
    TimelineKind.SERVICE_ACCEPTED: "Service referral accepted",
    TimelineKind.SERVICE_DECLINED: "Service referral declined",
    TimelineKind.SERVICE_COMPLETED: "Service completed",
    TimelineKind.SERVICE_ENDED: "Service ended",
    TimelineKind.ENGAGED: "Engaged in services",
    TimelineKind.ATTENDANCE_RECORDED: "Attendance recorded",
    TimelineKind.ATTENDANCE_CORRECTED: "Attendance corrected",
    TimelineKind.CASE_COMPLETED: "Case completed",
    TimelineKind.CASE_WITHDRAWN: "Case withdrawn",
    TimelineKind.CASE_NON_COMPLIANT: "Case returned for non-compliance",
    TimelineKind.CASE_UPDATED: "Case details updated",
    TimelineKind.CONSENT_RECORDED: "Consent to disclose recorded",
    TimelineKind.CONSENT_REVOKED: "Consent to disclose revoked",
    TimelineKind.PERSON_LINKED: "Linked to an earlier record of the same person",
    TimelineKind.PERSONS_KEPT_APART: "A possible match kept apart: a different person",
    TimelineKind.CASE_MANAGER_CHANGED: "Case manager changed",
    TimelineKind.DROP_IN_VISIT: "Visited a drop-in service",
    TimelineKind.REACH_ATTEMPTED: "The provider tried to reach the participant",
    TimelineKind.JUSTICE_EVENT_RECORDED: "Arrest or citation recorded",
    TimelineKind.MONTHLY_STATUS_RECORDED: "Monthly status recorded",
    TimelineKind.EPISODE_ADMITTED: "Admitted",
    TimelineKind.EPISODE_DISCHARGED: "Discharged",
    TimelineKind.STEP_DOWN_CONFIRMED: "Step-down confirmed: referral made",
    TimelineKind.STEP_DOWN_DECLINED: "Step-down declined",
}

# Payload keys staff see, with their labels, in display order.
DETAIL_KEYS = [
    ("service_name", "Service"),
    ("organization_name", "Provider"),
    ("reason", "Reason"),
    ("exit_reason", "Reason"),
    ("session_date", "Session"),
    ("visit_date", "Visit"),
    ("attempted_on", "Tried on"),
    ("admitted_on", "Admitted"),
    ("discharged_on", "Discharged"),
    ("outcome", "Outcome"),
    ("step_down_service", "Step-down to"),
    ("status", "Status"),
    ("previous_status", "Was"),
    ("completed_on", "Date"),
    ("closed_on", "Date"),
    ("contact_kind", "Contact"),
    ("summary", "Summary"),
    ("note", "Note"),
    ("copied", "Name, aliases and phone copied to the earlier record"),
    ("record_removed", "Newer record deleted"),
]


EXIT_LABELS = {r.value: r.label for r in ExitReason}


@dataclass(frozen=True)
class EntryView:
    title: str
    details: list[tuple[str, str]]
    actor_name: str | None


def _with_rule(title: str, entry: TimelineEntry) -> str:
    """A return for non-compliance names the rule confirmed (a code: never free text)."""
    if entry.kind != TimelineKind.CASE_NON_COMPLIANT:
        return title
    try:
        label = RuleCode(entry.payload.get("rule")).label
    except ValueError:
        return title
    return f"{title}: {label[0].lower()}{label[1:]}"


def describe(entry: TimelineEntry, user: User) -> EntryView:
    """How a timeline entry reads for this user; officers get the fixed status text only, the
    program's exclusion reason of a decline (a program setting, never the staff's note; none
    for a duplicate, which would tell of the person's other referral) and, for a return for
    non-compliance, the rule's name."""
    if sees_status_only(user):
        title = _with_rule(OFFICER_TEXT.get(entry.kind, "Status updated"), entry)
        reason = entry.payload.get("reason")
        duplicate = "duplicate_of" in entry.payload
        if entry.kind == TimelineKind.REFERRAL_DECLINED and reason and not duplicate:
            title = f"{title}: {reason}"
        return EntryView(title, [], None)
    details = []
    for key, label in DETAIL_KEYS:
        value = entry.payload.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        if key == "exit_reason" and value in EXIT_LABELS:
            value = EXIT_LABELS[value]
        details.append((label, str(value).replace("_", " ") if key == "status" else str(value)))
    actor = entry.actor.name if entry.actor_id and entry.actor else None
    return EntryView(
        _with_rule(STAFF_TEXT.get(entry.kind, entry.kind.value), entry), details, actor
    )
