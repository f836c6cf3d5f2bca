"""Provider staff: the roster of their organisation's participants, and one participant's page."""

from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, g, make_response, redirect, render_template_string, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from portal.auth.permissions import get_case_or_404
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceCorrection,
    Case,
    DeclineReason,
    Person,
    ReferralStatus,
    Service,
    ServiceReferral,
    User,
)
from portal.policy import service_referral_scope
from portal.provider import bp
from portal.provider.forms import DeclineForm
from portal.services import referrals
from portal.services.errors import DomainError
from portal.services.sessions import next_session
from portal.services.timeline import get_timeline
from portal.web.htmx import is_htmx, render, render_blocks, trigger
from portal.web.timeline import timeline_fragment

ROSTER = "provider/roster.html"
PARTICIPANT = "provider/participant.html"
RECENT = 4
OPEN = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


def org_referrals():
    """Referrals to the signed-in staff member's organisation's services (the provider scope)."""
    return service_referral_scope(current_user)


def pending_count() -> int:
    """Pending referrals waiting for this organisation's decision (once per request)."""
    if "pending_count" not in g:
        g.pending_count = db.session.scalar(
            select(func.count()).select_from(
                org_referrals().where(ServiceReferral.status == ReferralStatus.PENDING).subquery()
            )
        )
    return g.pending_count


@bp.context_processor
def provider_globals():
    return {"pending_referral_count": pending_count}


@bp.get("/pending-count")
def pending_count_label():
    """The nav's pending counter, polled so a referral the office just made shows up."""
    if not is_htmx():
        return redirect(url_for("provider.roster"))
    response = make_response(
        render_template_string(
            '{% from "provider/_macros.html" import pending_label %}{{ pending_label(n) }}',
            n=pending_count(),
        )
    )
    response.vary.add("HX-Request")
    return response


def recent_attendance(referral_ids: list[int], limit: int = RECENT) -> dict[int, list[Attendance]]:
    """The latest `limit` attendance entries of each referral, newest first (one query)."""
    if not referral_ids:
        return {}
    number = (
        func.row_number()
        .over(
            partition_by=Attendance.service_referral_id,
            order_by=(Attendance.session_date.desc(), Attendance.id.desc()),
        )
        .label("number")
    )
    ranked = (
        select(Attendance, number)
        .where(Attendance.service_referral_id.in_(referral_ids))
        .subquery()
    )
    row = aliased(Attendance, ranked)
    found = defaultdict(list)
    for attendance in db.session.scalars(
        select(row)
        .where(ranked.c.number <= limit)
        .order_by(ranked.c.service_referral_id, ranked.c.session_date.desc())
    ):
        found[attendance.service_referral_id].append(attendance)
    return found


def _referral_options():
    return (
        joinedload(ServiceReferral.service).selectinload(Service.schedules),
        joinedload(ServiceReferral.case).joinedload(Case.person),
    )


def _row_context(rows: list[ServiceReferral], decline_forms=None, **extra) -> dict:
    services = {r.service.id: r.service for r in rows}
    context = {
        "recent": recent_attendance([r.id for r in rows]),
        "next_sessions": {sid: next_session(s) for sid, s in services.items()},
        "decline_forms": {
            r.id: DeclineForm(formdata=None, prefix=f"decline-{r.id}")
            for r in rows
            if r.status == ReferralStatus.PENDING
        },
        "message": None,
        "error": None,
        **extra,
    }
    context["decline_forms"].update(decline_forms or {})
    return context


@bp.get("/")
def roster():
    """Participants with pending or accepted referrals to this organisation's services."""
    rows = list(
        db.session.scalars(
            org_referrals()
            .join(Case, Case.id == ServiceReferral.case_id)
            .join(Person, Person.id == Case.person_id)
            .where(ServiceReferral.status.in_(OPEN))
            .options(*_referral_options())
            .order_by(
                (ServiceReferral.status == ReferralStatus.PENDING).desc(),
                Person.last_name,
                Person.first_name,
                ServiceReferral.id,
            )
        ).unique()
    )
    g.pending_count = sum(1 for r in rows if r.status == ReferralStatus.PENDING)
    return render(ROSTER, rows=rows, **_row_context(rows))


def _load_referral(referral_id: int) -> ServiceReferral:
    referral = db.session.scalar(
        org_referrals().where(ServiceReferral.id == referral_id).options(*_referral_options())
    )
    if referral is None:
        abort(404)
    return referral


def _answer(referral: ServiceReferral, status: int = 200, message: str | None = None, **extra):
    """The updated roster row plus the pending counters (out of band), or the page again."""
    context = _row_context([referral], r=referral, message=message, **extra)
    if is_htmx():
        response = render_blocks(ROSTER, ["row", "pending_oob"], status=status, **context)
        return trigger(response, "timeline-changed") if status == 200 else response
    if status == 200:
        flash(message or "Saved.", "success")
        return redirect(url_for("provider.roster"))
    return render(ROSTER, status=status, rows=[referral], **context)


@bp.post("/service-referrals/<int:referral_id>/accept")
def accept_service_referral(referral_id: int):
    referral = _load_referral(referral_id)
    try:
        referrals.accept_service_referral(referral, current_user)
    except DomainError as error:
        db.session.rollback()
        return _answer(_load_referral(referral_id), 422, error=error.message)
    db.session.commit()
    name = referral.case.person.full_name
    return _answer(_load_referral(referral_id), message=f"Accepted {name}.")


@bp.post("/service-referrals/<int:referral_id>/decline")
def decline_service_referral(referral_id: int):
    referral = _load_referral(referral_id)
    form = DeclineForm(prefix=f"decline-{referral_id}")
    if not form.validate_on_submit():
        return _answer(referral, 422, decline_forms={referral.id: form})
    try:
        referrals.decline_service_referral(
            referral, current_user, DeclineReason(form.reason.data), form.note.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        return _answer(_load_referral(referral_id), 422, error=error.message)
    db.session.commit()
    name = referral.case.person.full_name
    return _answer(_load_referral(referral_id), message=f"Declined the referral of {name}.")


def _participant(case_id: int) -> Case:
    return get_case_or_404(case_id, current_user, joinedload(Case.person))


def _history(referral_ids: list[int]):
    """Every attendance entry of these referrals (newest first) and each one's corrections."""
    if not referral_ids:
        return [], {}
    entries = list(
        db.session.scalars(
            select(Attendance)
            .where(Attendance.service_referral_id.in_(referral_ids))
            .order_by(Attendance.session_date.desc(), Attendance.id.desc())
        )
    )
    return entries, corrections_of([a.id for a in entries])


def corrections_of(attendance_ids: list[int]) -> dict[int, list[tuple]]:
    """Corrections (with the corrector's name) of these attendance entries, oldest first."""
    found = defaultdict(list)
    if attendance_ids:
        for correction, name in db.session.execute(
            select(AttendanceCorrection, User.name)
            .join(User, User.id == AttendanceCorrection.corrected_by_id)
            .where(AttendanceCorrection.attendance_id.in_(attendance_ids))
            .order_by(AttendanceCorrection.corrected_at, AttendanceCorrection.id)
        ):
            found[correction.attendance_id].append((correction, name))
    return found


@bp.get("/participants/<int:case_id>")
def participant(case_id: int):
    """One participant as this organisation sees them: its referrals, attendance, timeline."""
    case = _participant(case_id)
    mine = list(
        db.session.scalars(
            org_referrals()
            .where(ServiceReferral.case_id == case.id)
            .options(joinedload(ServiceReferral.service))
            .order_by(ServiceReferral.created_at.desc(), ServiceReferral.id.desc())
        )
    )
    attendance, corrections = _history([r.id for r in mine])
    return render(
        PARTICIPANT,
        case=case,
        referrals=mine,
        services={r.id: r.service for r in mine},
        attendance=attendance,
        corrections=corrections,
        timeline=get_timeline(case, current_user),
    )


@bp.get("/participants/<int:case_id>/timeline")
def participant_timeline(case_id: int):
    return timeline_fragment(
        lambda: _participant(case_id), PARTICIPANT, "provider.participant", case_id
    )
