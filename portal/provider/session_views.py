"""Provider staff: this week's sessions, and one session's attendance, logged in one tap."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.auth.permissions import get_service_referral_or_404
from portal.clock import local_today
from portal.extensions import db
from portal.models import AttendanceStatus, Case, Service, ServiceReferral
from portal.policy import can_record_attendance
from portal.provider import bp
from portal.provider.forms import AttendanceForm, CorrectionForm, SessionPickForm
from portal.services import attendance as attendance_service
from portal.services.paging import search_term
from portal.services.sessions import (
    enrolled_counts,
    entries_on,
    organization_services,
    recorded_counts,
    session_rows,
    sessions_between,
    week_of,
)
from portal.web.changes import answer, run_change
from portal.web.forms import choices
from portal.web.htmx import is_htmx, render, render_blocks

SESSIONS = "provider/sessions.html"
SESSION = "provider/session.html"
CHOOSE_STATUS = "Choose attended, missed, excused or cancelled."
# Dates the pages can show: the weeks around them are still dates (9999-12-31 has no next).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


def _pick_form(services: list[Service], formdata=None, **defaults) -> SessionPickForm:
    form = SessionPickForm(formdata=formdata, **defaults)
    form.service_id.choices = choices(
        [("", "Choose a service"), *((s.id, s.name) for s in services if not s.is_episode)]
    )
    return form


def _week_page(week_start: dt.date, pick_form=None, status: int = 200):
    today = local_today()
    monday, sunday = week_of(week_start)
    services = organization_services(current_user.organization_id)
    week = sessions_between(services, monday, sunday)
    todays = sessions_between(services, today, today)
    first, last = min(monday, today), max(sunday, today)
    ids = [s.id for s in services]
    enrolled = enrolled_counts(ids)
    recorded = recorded_counts(ids, first, last)
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    return render(
        SESSIONS,
        status=status,
        today=today,
        todays=todays,
        days=days,
        week={day: [s for s in week if s.date == day] for day in days},
        monday=monday,
        previous_week=monday - dt.timedelta(days=7),
        next_week=monday + dt.timedelta(days=7),
        enrolled=enrolled,
        recorded=recorded,
        recordable=attendance_service.is_recordable_date,
        appointment_services=[s for s in services if s.by_appointment and not s.is_episode],
        pick_form=pick_form or _pick_form(services, session_date=today),
    )


@bp.get("/sessions")
def sessions():
    """Today's sessions and the week's (Monday to Sunday), from the services' schedules."""
    try:
        week_start = dt.date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        week_start = local_today()
    if not FIRST_DAY <= week_start <= LAST_DAY:
        week_start = local_today()
    return _week_page(week_start)


@bp.get("/sessions/pick")
def session_pick():
    """Go to the session page of a chosen service and past or present date."""
    services = organization_services(current_user.organization_id)
    form = _pick_form(services, formdata=request.args)
    if form.validate():
        return redirect(
            url_for(
                "provider.session",
                service_id=int(form.service_id.data),
                day=form.session_date.data.isoformat(),
            )
        )
    return _week_page(local_today(), pick_form=form, status=422)


def _load_session(service_id: int, day: str) -> tuple[Service, dt.date]:
    try:
        session_date = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not FIRST_DAY <= session_date <= LAST_DAY:
        abort(404)
    service = db.session.scalar(
        select(Service).where(Service.id == service_id).options(selectinload(Service.schedules))
    )
    # Another organisation's service is not found, as if it did not exist.
    if service is None or not can_record_attendance(current_user, service):
        abort(404)
    return service, session_date


def _page_of(service: Service, day: dt.date, args) -> dict:
    """The page of participants `args` asks for (a cursor and a name search), as context."""
    q, searching = search_term(args.get("q"))
    search = q if searching else ""
    page = session_rows(service.id, day, args.get("after"), current_app.config["PAGE_SIZE"], search)
    return {"page": page, "q": q, "searching": searching, "rows": page.rows}


def _context(service: Service, day: dt.date, rows: list[ServiceReferral], **extra) -> dict:
    records = entries_on([r.id for r in rows], day)
    return {
        "service": service,
        "day": day,
        "today": local_today(),
        "recordable": attendance_service.is_recordable_date,
        "group_sessions": attendance_service.has_group_sessions(service),
        "scheduled": sessions_between([service], day, day),
        "rows": rows,
        "records": records,
        "corrections": attendance_service.corrections_of([a.id for a in records.values()]),
        "statuses": list(AttendanceStatus),
        "usual_status": AttendanceStatus.ATTENDED,
        "can_mark": attendance_service.can_mark,
        "on_roster": attendance_service.on_roster,
        "fix_forms": {},
        "blank_fix": lambda referral_id, version: CorrectionForm(
            formdata=None, prefix=f"fix-{referral_id}", version=version
        ),
        "errors": {},
        "message": None,
        "row_message": None,
        **extra,
    }


@bp.get("/sessions/<int:service_id>/<day>")
def session(service_id: int, day: str):
    """One session: the participants, one-tap attendance, mark all present, corrections."""
    service, session_date = _load_session(service_id, day)
    if service.is_drop_in:  # nobody is on a drop-in's roster: its day is a day of visits
        return redirect(url_for("provider.visits", service_id=service.id, day=day))
    if service.is_episode:  # no sessions: each participant is admitted and discharged
        flash(
            f"{service.name} is an episode service: admit and discharge each participant on "
            "their page (from the participants list).",
            "info",
        )
        return redirect(url_for("provider.roster"))
    paged = _page_of(service, session_date, request.args)
    services = organization_services(current_user.organization_id)
    return render(
        SESSION,
        block="participants",
        pick_form=_pick_form(services, service_id=str(service.id), session_date=session_date),
        **_context(service, session_date, **paged),
    )


def _load_row(service: Service, referral_id: int) -> ServiceReferral:
    referral = get_service_referral_or_404(
        referral_id, current_user, joinedload(ServiceReferral.case).joinedload(Case.person)
    )
    if referral.service_id != service.id:
        abort(404)
    return referral


def _page_url(service: Service, day: dt.date) -> str:
    return url_for("provider.session", service_id=service.id, day=day.isoformat())


def _row(service, day, referral, status=200, message=None, error=None, fix_form=None):
    """The participant's row and the announcement (htmx), or the whole session page."""
    extra = {
        "message": message,
        "row_message": message,
        "errors": {referral.id: error} if error else {},
        "fix_forms": {referral.id: fix_form} if fix_form else {},
    }
    if is_htmx():
        context = _context(service, day, [referral], r=referral, **extra)
        return render_blocks(SESSION, ["row", "status_oob"], status=status, **context)
    services = organization_services(current_user.organization_id)
    return render(
        SESSION,
        status=status,
        pick_form=_pick_form(services, service_id=str(service.id), session_date=day),
        **_context(service, day, **_page_of(service, day, {}), **extra),
    )


def _row_saved(service: Service, day: dt.date, referral: ServiceReferral, message: str):
    """After a change: the updated row (htmx), or back to the session with the message."""
    return answer(
        message,
        _page_url(service, day),
        lambda: _row(service, day, referral, message=message),
        "timeline-changed",
    )


@bp.post("/sessions/<int:service_id>/<day>/<int:referral_id>")
def record(service_id: int, day: str, referral_id: int):
    """One tap: record a participant's attendance (the same tap twice records it once)."""
    service, session_date = _load_session(service_id, day)
    referral = _load_row(service, referral_id)
    form = AttendanceForm()

    def done(_):
        name = referral.case.person.full_name
        status = AttendanceStatus(form.status.data)
        message = f"{name}: {status.label.lower()} on {session_date:%b %-d}."
        return _row_saved(service, session_date, referral, message)

    return run_change(
        form,
        lambda: attendance_service.record_attendance(
            referral, session_date, AttendanceStatus(form.status.data), current_user
        ),
        refused=lambda status, error: _row(
            service, session_date, referral, status, error=error or CHOOSE_STATUS
        ),
        done=done,
    )


@bp.post("/sessions/<int:service_id>/<day>/<int:referral_id>/correct")
def correct(service_id: int, day: str, referral_id: int):
    """Correct a recorded entry; the reason is required and the earlier value is kept."""
    service, session_date = _load_session(service_id, day)
    referral = _load_row(service, referral_id)
    entry = entries_on([referral.id], session_date).get(referral.id)
    if entry is None:
        abort(404)
    form = CorrectionForm(prefix=f"fix-{referral.id}")

    def refused(status: int, error: str | None):
        if error is None:  # the messages are beside the form's fields (the version's above them)
            return _row(
                service, session_date, referral, status, error=form.hidden_errors, fix_form=form
            )
        return _row(service, session_date, referral, status, error=error)

    def done(_):
        name = referral.case.person.full_name
        message = f"{name}: corrected to {form.status.data} on {session_date:%b %-d}."
        return _row_saved(service, session_date, referral, message)

    return run_change(
        form,
        lambda: attendance_service.correct_attendance(
            entry,
            AttendanceStatus(form.status.data),
            form.reason.data,
            current_user,
            form.version_number,
        ),
        refused=refused,
        done=done,
    )


def _marked(count: int) -> str:
    if not count:
        return "Everyone on the roster was already recorded for this date."
    return f"Marked {count} participant{'s' if count != 1 else ''} present."


@bp.post("/sessions/<int:service_id>/<day>/all")
def mark_all(service_id: int, day: str):
    """A group session: every accepted participant not yet recorded is marked present."""
    service, session_date = _load_session(service_id, day)
    page_url = url_for("provider.session", service_id=service.id, day=day)

    def participants(message: str, status: int = 200, **extra):
        # Every participant of the session was marked: the page shown again is the one the
        # button was on (its cursor and search come with the form).
        paged = _page_of(service, session_date, request.form)
        context = _context(service, session_date, message=message, **paged, **extra)
        return render_blocks(SESSION, ["participants", "status_oob"], status=status, **context)

    def refused(status: int, error: str | None):
        if not is_htmx():
            flash(error, "error")
            return redirect(page_url)
        return participants(error, status, page_error=error)

    def done(marked):
        message = _marked(len(marked))
        return answer(message, page_url, lambda: participants(message), "timeline-changed")

    return run_change(
        None,
        lambda: attendance_service.record_group_session(service, session_date, current_user),
        refused=refused,
        done=done,
    )
