"""Provider staff: this week's sessions, and one session's attendance, logged in one tap."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceStatus,
    Case,
    Person,
    ReferralStatus,
    Service,
    ServiceReferral,
)
from portal.provider import bp
from portal.provider.forms import AttendanceForm, CorrectionForm, SessionPickForm
from portal.provider.views import corrections_of, org_referrals
from portal.services import attendance as attendance_service
from portal.services.errors import Conflict, DomainError
from portal.services.sessions import organization_services, sessions_between, week_of
from portal.web.forms import choices
from portal.web.htmx import is_htmx, render, render_blocks, trigger

SESSIONS = "provider/sessions.html"
SESSION = "provider/session.html"
# Dates the pages can show: the weeks around them are still dates (9999-12-31 has no next).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


def _pick_form(services: list[Service], formdata=None, **defaults) -> SessionPickForm:
    form = SessionPickForm(formdata=formdata, **defaults)
    form.service_id.choices = choices(
        [("", "Choose a service"), *((s.id, s.name) for s in services)]
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
    enrolled = dict(
        db.session.execute(
            select(ServiceReferral.service_id, func.count())
            .where(
                ServiceReferral.service_id.in_(ids),
                ServiceReferral.status == ReferralStatus.ACCEPTED,
            )
            .group_by(ServiceReferral.service_id)
        ).all()
    )
    recorded = {
        (service_id, day): count
        for service_id, day, count in db.session.execute(
            select(ServiceReferral.service_id, Attendance.session_date, func.count())
            .join(Attendance, Attendance.service_referral_id == ServiceReferral.id)
            .where(
                ServiceReferral.service_id.in_(ids),
                Attendance.session_date.between(first, last),
            )
            .group_by(ServiceReferral.service_id, Attendance.session_date)
        )
    }
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
        appointment_services=[s for s in services if s.by_appointment],
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
        select(Service)
        .where(Service.id == service_id, Service.organization_id == current_user.organization_id)
        .options(selectinload(Service.schedules))
    )
    if service is None:
        abort(404)
    return service, session_date


def _rows(service: Service, day: dt.date) -> list[ServiceReferral]:
    """The service's accepted participants, and anyone already recorded for that date."""
    recorded_that_day = select(Attendance.service_referral_id).where(Attendance.session_date == day)
    return list(
        db.session.scalars(
            select(ServiceReferral)
            .join(Case, Case.id == ServiceReferral.case_id)
            .join(Person, Person.id == Case.person_id)
            .where(
                ServiceReferral.service_id == service.id,
                or_(
                    ServiceReferral.status == ReferralStatus.ACCEPTED,
                    ServiceReferral.id.in_(recorded_that_day),
                ),
            )
            .options(joinedload(ServiceReferral.case).joinedload(Case.person))
            .order_by(Person.last_name, Person.first_name, ServiceReferral.id)
        ).unique()
    )


def _context(service: Service, day: dt.date, rows: list[ServiceReferral], **extra) -> dict:
    records = {
        a.service_referral_id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.service_referral_id.in_([r.id for r in rows]),
                Attendance.session_date == day,
            )
        )
    }
    return {
        "service": service,
        "day": day,
        "today": local_today(),
        "scheduled": sessions_between([service], day, day),
        "rows": rows,
        "records": records,
        "corrections": corrections_of([a.id for a in records.values()]),
        "statuses": list(AttendanceStatus),
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
    rows = _rows(service, session_date)
    services = organization_services(current_user.organization_id)
    return render(
        SESSION,
        pick_form=_pick_form(services, service_id=str(service.id), session_date=session_date),
        **_context(service, session_date, rows),
    )


def _load_row(service: Service, referral_id: int) -> ServiceReferral:
    referral = db.session.scalar(
        org_referrals()
        .where(ServiceReferral.id == referral_id, ServiceReferral.service_id == service.id)
        .options(joinedload(ServiceReferral.case).joinedload(Case.person))
    )
    if referral is None:
        abort(404)
    return referral


def _row_answer(service, day, referral, status=200, message=None, error=None, fix_form=None):
    """The participant's updated row and the announcement (htmx), or the whole page again."""
    extra = {
        "message": message,
        "row_message": message,
        "errors": {referral.id: error} if error else {},
        "fix_forms": {referral.id: fix_form} if fix_form else {},
    }
    if is_htmx():
        context = _context(service, day, [referral], r=referral, **extra)
        response = render_blocks(SESSION, ["row", "status_oob"], status=status, **context)
        return trigger(response, "timeline-changed") if status == 200 else response
    if status == 200:
        flash(message, "success")
        return redirect(url_for("provider.session", service_id=service.id, day=day.isoformat()))
    services = organization_services(current_user.organization_id)
    return render(
        SESSION,
        status=status,
        pick_form=_pick_form(services, service_id=str(service.id), session_date=day),
        **_context(service, day, _rows(service, day), **extra),
    )


@bp.post("/sessions/<int:service_id>/<day>/<int:referral_id>")
def record(service_id: int, day: str, referral_id: int):
    """One tap: record a participant's attendance (the same tap twice records it once)."""
    service, session_date = _load_session(service_id, day)
    referral = _load_row(service, referral_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        error = "Choose attended, missed, excused or cancelled."
        return _row_answer(service, session_date, referral, 422, error=error)
    status = AttendanceStatus(form.status.data)
    try:
        attendance_service.record_attendance(referral, session_date, status, current_user)
    except DomainError as error:
        db.session.rollback()
        return _row_answer(service, session_date, referral, 422, error=error.message)
    db.session.commit()
    name = referral.case.person.full_name
    message = f"{name}: {status.label.lower()} on {session_date:%b %-d}."
    return _row_answer(service, session_date, referral, message=message)


@bp.post("/sessions/<int:service_id>/<day>/<int:referral_id>/correct")
def correct(service_id: int, day: str, referral_id: int):
    """Correct a recorded entry; the reason is required and the earlier value is kept."""
    service, session_date = _load_session(service_id, day)
    referral = _load_row(service, referral_id)
    entry = db.session.scalar(
        select(Attendance).where(
            Attendance.service_referral_id == referral.id, Attendance.session_date == session_date
        )
    )
    if entry is None:
        abort(404)
    form = CorrectionForm(prefix=f"fix-{referral.id}")
    if not form.validate_on_submit():
        error = " ".join(form.version.errors) or None
        return _row_answer(service, session_date, referral, 422, error=error, fix_form=form)
    try:
        attendance_service.correct_attendance(
            entry,
            AttendanceStatus(form.status.data),
            form.reason.data,
            current_user,
            form.version_number,
        )
    except Conflict as error:
        db.session.rollback()
        return _row_answer(service, session_date, referral, 409, error=error.message)
    except DomainError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None)
        if field is not None:
            field.errors = [*field.errors, error.message]
            return _row_answer(service, session_date, referral, 422, fix_form=form)
        return _row_answer(service, session_date, referral, 422, error=error.message)
    db.session.commit()
    name = referral.case.person.full_name
    message = f"{name}: corrected to {form.status.data} on {session_date:%b %-d}."
    return _row_answer(service, session_date, referral, message=message)


@bp.post("/sessions/<int:service_id>/<day>/all")
def mark_all(service_id: int, day: str):
    """A group session: every accepted participant not yet recorded is marked present."""
    service, session_date = _load_session(service_id, day)
    try:
        marked = attendance_service.record_group_session(service, session_date, current_user)
    except DomainError as error:
        db.session.rollback()
        message, status = error.message, 422
    else:
        db.session.commit()
        count = len(marked)
        message = (
            f"Marked {count} participant{'s' if count != 1 else ''} present."
            if count
            else "Everyone on the roster was already recorded for this date."
        )
        status = 200
    if not is_htmx():
        flash(message, "success" if status == 200 else "error")
        return redirect(url_for("provider.session", service_id=service.id, day=day))
    context = _context(service, session_date, _rows(service, session_date), message=message)
    if status != 200:
        context["page_error"] = message
    response = render_blocks(SESSION, ["participants", "status_oob"], status=status, **context)
    return trigger(response, "timeline-changed") if status == 200 else response
