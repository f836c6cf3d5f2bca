"""The audit viewer: who did what, and who opened which participant's record; CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from flask import Response, abort, current_app, request, stream_with_context
from flask_login import current_user
from sqlalchemy import func, select

from portal import policy
from portal.admin import bp
from portal.auth.permissions import allowed_for
from portal.auth.reauth import fresh_auth_required
from portal.extensions import db
from portal.models import AuditAction, AuditEvent, User
from portal.policy import can_view_audit
from portal.services import audit
from portal.services.audit import AuditFilter
from portal.web.guards import in_int_range
from portal.web.htmx import render

CSV_COLUMNS = [
    "id",
    "time_utc",
    "user_id",
    "user_email",
    "role",
    "ip_address",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "outcome",
]


def _number(name: str, errors: dict[str, str]) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not in_int_range(int(raw)):
        errors[name] = "Enter a number, as shown on the record (for example 42)."
        return None
    return int(raw)


def _date(name: str, errors: dict[str, str]) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a date such as 2026-03-31."
        return None
    if not dt.date(2000, 1, 1) <= day <= dt.date(2999, 12, 31):
        errors[name] = "Enter a date from the year 2000 on."
        return None
    return day


def read_filters() -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The filter from the address: (filter, the values as typed, a message per bad field).

    A field that cannot be read matches nothing rather than everything.
    """
    errors: dict[str, str] = {}
    typed = {
        name: (request.args.get(name) or "").strip()[:255]
        for name in ("user", "case", "person", "action", "since", "until")
    }
    user_id = None
    if typed["user"]:
        user_id = db.session.scalar(
            select(User.id).where(func.lower(User.email) == typed["user"].lower())
        )
        if user_id is None:
            errors["user"] = "No user has this e-mail address."
    action = typed["action"] if typed["action"] in {a.value for a in AuditAction} else None
    criteria = AuditFilter(
        user_id=user_id,
        case_id=_number("case", errors),
        person_id=_number("person", errors),
        action=AuditAction(action) if action else None,
        since=_date("since", errors),
        until=_date("until", errors),
    )
    if criteria.since and criteria.until and criteria.until < criteria.since:
        errors["until"] = "The end date must be on or after the start date."
    return criteria, typed, errors


def _emails(events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.user_id for e in events if e.user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


@bp.get("/audit")
@allowed_for(policy.can_view_audit)
def audit_log():
    """The audit trail, newest first, filtered and keyset-paged; reading it is audited."""
    if not can_view_audit(current_user):
        abort(403)
    criteria, typed, errors = read_filters()
    before = _number("before", {})
    if errors:
        page = audit.AuditPage([], None)
    else:
        page = audit.audit_page(current_user, criteria, before, current_app.config["PAGE_SIZE"])
    return render(
        "admin/audit.html",
        block="results",
        page=page,
        emails=_emails(page.events),
        typed=typed,
        query={name: value for name, value in typed.items() if value},
        errors=errors,
        actions=list(AuditAction),
        first_page=before is None,
    )


def _csv_line(values: list) -> str:
    buffer = io.StringIO()
    # A spreadsheet runs a cell starting with = + - @ as a formula: such text is quoted.
    csv.writer(buffer).writerow(
        "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values
    )
    return buffer.getvalue()


@bp.get("/audit.csv")
@allowed_for(policy.can_view_audit)
@fresh_auth_required
def audit_export():
    """The filtered trail as CSV, streamed; the export is audited (committed before it starts)."""
    if not can_view_audit(current_user):
        abort(403)
    criteria, _typed, errors = read_filters()
    if errors:
        abort(400)
    batches = audit.export_events(current_user, criteria)
    db.session.commit()

    def lines() -> Iterator[str]:
        yield _csv_line(CSV_COLUMNS)
        for events in batches:
            emails = _emails(events)
            for e in events:
                yield _csv_line(
                    [
                        e.id,
                        e.at.isoformat(),
                        e.user_id,
                        emails.get(e.user_id, ""),
                        e.role or "",
                        e.ip_address or "",
                        e.action.value,
                        e.object_type or "",
                        e.object_id,
                        e.case_id,
                        e.outcome.value,
                    ]
                )

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-trail.csv"
    return response
