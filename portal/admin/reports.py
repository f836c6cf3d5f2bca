"""The program's outcomes dashboard (the office and evaluators; counts only, never a person), its
tables as CSV, and the evaluators' de-identified case-level file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator

from flask import Response, abort, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from portal import policy
from portal.admin import bp
from portal.auth.permissions import allowed_for
from portal.auth.reauth import fresh_auth_required
from portal.clock import local_today
from portal.extensions import db
from portal.models import Agency, AuditAction
from portal.services import audit, dashboard, evaluation_export
from portal.services.dashboard import MAX_MONTHS, Filters, default_filters, month_start
from portal.services.reports import program_summary
from portal.web.charts import bar_chart
from portal.web.guards import in_int_range
from portal.web.htmx import is_htmx, render

BREAKDOWNS = {"race": "Race", "ethnicity": "Ethnicity"}
AGENCY_CHOICES = 200
DATE_MESSAGE = "Enter a real date, for example 2026-03-31."


def _date(name: str, errors: dict[str, str]) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = DATE_MESSAGE
        return None


def read_filters() -> tuple[Filters, dict[str, str], list[str]]:
    """The dashboard's filters from the address: refused values get a message beside their field
    (and the default is used); values that only needed correcting are corrected, and said so."""
    errors: dict[str, str] = {}
    notes: list[str] = []
    today = local_today()
    default = default_filters(today)
    start = _date("start", errors) or default.start
    end = _date("end", errors) or default.end
    if start > end:
        start, end = end, start
        notes.append("The dates were the wrong way round: they are swapped.")
    if end > today:
        end = today
        notes.append(f"The dashboard counts up to today: the end date is {today:%b %-d, %Y}.")
    if start > end:
        start = month_start(end)
    earliest = month_start(end, 1 - MAX_MONTHS)
    if start < earliest:
        start = earliest
        notes.append(
            f"At most five years are shown at once: from {earliest:%b %-d, %Y} to {end:%b %-d, %Y}."
        )
    agency_id = None
    raw_agency = (request.args.get("agency") or "").strip()
    if raw_agency:
        try:
            number = int(raw_agency)
        except ValueError:
            number = 0
        if in_int_range(number) and number > 0 and db.session.get(Agency, number) is not None:
            agency_id = number
        else:
            errors["agency"] = "Choose an agency from the list: every agency is shown."
    by = (request.args.get("by") or "").strip() or None
    if by is not None and by not in BREAKDOWNS:
        errors["by"] = "Choose race, ethnicity or no breakdown."
        by = None
    return Filters(start, end, agency_id, by), errors, notes


def _agencies(chosen: int | None) -> list[Agency]:
    query = select(Agency)
    order = [Agency.name, Agency.id]
    if chosen:
        order.insert(0, (Agency.id == chosen).desc())
    return list(db.session.scalars(query.order_by(*order).limit(AGENCY_CHOICES)))


def filter_args(filters: Filters) -> dict:
    args = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    if filters.agency_id:
        args["agency"] = filters.agency_id
    if filters.by:
        args["by"] = filters.by
    return args


@bp.get("/reports")
@allowed_for(policy.can_view_reports)
def reports():
    """The outcomes dashboard: every figure for the dates and agency chosen, as a chart and the
    table behind it, broken down by race or ethnicity on request."""
    filters, errors, notes = read_filters()
    tables = dashboard.dashboard(current_user, filters)
    context = {
        "filters": filters,
        "errors": errors,
        "notes": notes,
        "tables": tables,
        "chart": bar_chart,
        "agencies": _agencies(filters.agency_id),
        "breakdowns": BREAKDOWNS,
        "args": filter_args(filters),
        "may_export_evaluation": policy.can_export_evaluation(current_user),
    }
    status = 422 if errors else 200
    if is_htmx():
        response = render("admin/reports.html", block="dashboard", **context)
        response.status_code = status
        return response
    response = render("admin/reports.html", summary=program_summary(current_user), **context)
    response.status_code = status
    return response


def _csv_line(values: Iterable) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if v is None else _safe(v) for v in values])
    return out.getvalue()


def _safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _download(lines: Iterator[str], name: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/<any({}):key>.csv".format(", ".join(repr(k) for k in dashboard.FIGURES)))
@allowed_for(policy.can_view_reports)
def report_csv(key: str):
    """One dashboard table as CSV (as shown: small counts suppressed in a breakdown); audited."""
    filters, errors, _notes = read_filters()
    if errors:
        abort(400)
    table = dashboard.figure(current_user, key, filters)
    audit.record(AuditAction.EXPORT, object_type="report")
    db.session.commit()
    rows = table.csv_rows()
    return _download((_csv_line(r) for r in rows), f"{key}-{filters.start}-{filters.end}.csv")


@bp.get("/reports/evaluation.csv")
@allowed_for(policy.can_export_evaluation)
@fresh_auth_required
def evaluation_file():
    """The de-identified case-level file, streamed a batch of cases at a time; audited before
    the first row is read."""
    filters, errors, _notes = read_filters()
    if errors:
        abort(400)
    rows = evaluation_export.export_rows(current_user, filters)
    db.session.commit()
    name = f"lead-evaluation-{filters.start}-{filters.end}.csv"
    return _download((_csv_line(r) for r in rows), name)
