"""Provider staff: the roster of their organisation's participants, and one participant's page."""

from __future__ import annotations

from flask import (
    current_app,
    g,
    make_response,
    redirect,
    render_template_string,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from portal.auth.permissions import get_service_referral_or_404
from portal.extensions import db
from portal.models import Case, DeclineReason, Person, ReferralStatus, Service, ServiceReferral
from portal.policy import service_referral_scope
from portal.provider import bp
from portal.provider.forms import DeclineForm
from portal.provider.participant_page import PARTICIPANT, load_participant, participant_page
from portal.services import referrals
from portal.services.attendance import recent_attendance
from portal.services.episodes import episodes_of
from portal.services.paging import Key, keyset_page, search_term
from portal.services.sessions import next_session
from portal.web.changes import answer, run_change
from portal.web.htmx import is_htmx, render, render_blocks
from portal.web.timeline import timeline_fragment

ROSTER = "provider/roster.html"
RECENT = 4


def pending_count() -> int:
    """Pending referrals waiting for this organisation's decision (once per request)."""
    if "pending_count" not in g:
        g.pending_count = db.session.scalar(
            select(func.count()).select_from(
                service_referral_scope(current_user)
                .where(ServiceReferral.status == ReferralStatus.PENDING)
                .subquery()
            )
        )
    return g.pending_count


@bp.context_processor
def provider_globals():
    """The nav's pending counter, on every provider page."""
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


def _referral_options():
    return (
        joinedload(ServiceReferral.service).selectinload(Service.schedules),
        joinedload(ServiceReferral.case).joinedload(Case.person),
    )


def _row_context(rows: list[ServiceReferral], decline_forms=None, **extra) -> dict:
    services = {r.service.id: r.service for r in rows}
    context = {
        "recent": recent_attendance([r.id for r in rows if not r.service.is_episode], RECENT),
        "episodes": episodes_of([r.id for r in rows if r.service.is_episode]),
        "next_sessions": {sid: next_session(s) for sid, s in services.items()},
        "decline_forms": {
            r.id: DeclineForm(formdata=None, prefix=f"decline-{r.id}")
            for r in rows
            if referrals.is_awaiting_decision(r)
        },
        "awaiting_decision": referrals.is_awaiting_decision,
        "message": None,
        "error": None,
        **extra,
    }
    context["decline_forms"].update(decline_forms or {})
    return context


# Pending referrals first, then by name: the keyset carries the rank, the names and the id.
ROSTER_KEYS = [
    Key(case((ServiceReferral.status == ReferralStatus.PENDING, 0), else_=1), int),
    Key(Person.last_name, str),
    Key(Person.first_name, str),
    Key(ServiceReferral.id, int),
]


@bp.get("/")
def roster():
    """Participants with pending or accepted referrals to this organisation's services, a page
    at a time (pending first), searchable by name."""
    q, searching = search_term(request.args.get("q"))
    query = (
        service_referral_scope(current_user)
        .join(Case, Case.id == ServiceReferral.case_id)
        .join(Person, Person.id == Case.person_id)
        .where(ServiceReferral.status.in_(referrals.OPEN_STATUSES))
        .options(*_referral_options())
    )
    if searching:
        query = query.where(
            func.lower(Person.first_name + " " + Person.last_name).like(f"%{q.lower()}%")
        )
    page = keyset_page(
        query, ROSTER_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"]
    )
    return render(
        ROSTER,
        block="results",
        rows=page.rows,
        page=page,
        q=q,
        searching=searching,
        **_row_context(page.rows),
    )


def _load_referral(referral_id: int) -> ServiceReferral:
    return get_service_referral_or_404(referral_id, current_user, *_referral_options())


def _row(referral_id: int, status: int = 200, **extra):
    """The referral's roster row plus the pending counters (out of band), for htmx."""
    referral = _load_referral(referral_id)
    context = _row_context([referral], r=referral, **extra)
    return render_blocks(ROSTER, ["row", "pending_oob"], status=status, **context)


def _refused(referral_id: int, status: int, error: str | None, decline_form=None):
    """The row again with the refusal beside it (htmx), or the roster page with that row."""
    decline_forms = {referral_id: decline_form} if decline_form is not None else None
    if is_htmx():
        return _row(referral_id, status, error=error, decline_forms=decline_forms)
    referral = _load_referral(referral_id)
    context = _row_context([referral], decline_forms, r=referral, error=error)
    return render(ROSTER, status=status, rows=[referral], **context)


def _decided(referral_id: int, message: str):
    """After a decision: the updated row (htmx), or back to the roster with the message."""
    return answer(
        message,
        url_for("provider.roster"),
        lambda: _row(referral_id, message=message),
        "timeline-changed",
    )


@bp.post("/service-referrals/<int:referral_id>/accept")
def accept_service_referral(referral_id: int):
    """Take the participant on; the row shows the referral accepted."""
    referral = _load_referral(referral_id)
    name = referral.case.person.full_name
    return run_change(
        None,
        lambda: referrals.accept_service_referral(referral, current_user),
        refused=lambda status, error: _refused(referral_id, status, error),
        done=lambda _: _decided(referral_id, f"Accepted {name}."),
    )


@bp.post("/service-referrals/<int:referral_id>/decline")
def decline_service_referral(referral_id: int):
    """Decline the referral with a reason (and a note, required for Other)."""
    referral = _load_referral(referral_id)
    name = referral.case.person.full_name
    form = DeclineForm(prefix=f"decline-{referral_id}")
    return run_change(
        form,
        lambda: referrals.decline_service_referral(
            referral, current_user, DeclineReason(form.reason.data), form.note.data or ""
        ),
        # With no message, the refusal is beside the form's fields: show the form as sent.
        refused=lambda status, error: _refused(referral_id, status, error, None if error else form),
        done=lambda _: _decided(referral_id, f"Declined the referral of {name}."),
    )


@bp.get("/participants/<int:case_id>")
def participant(case_id: int):
    """One participant as this organisation sees them: its referrals with their packets,
    episodes, attendance, timeline."""
    return participant_page(load_participant(case_id))


@bp.get("/participants/<int:case_id>/timeline")
def participant_timeline(case_id: int):
    """The participant's timeline fragment (newest entries, or an older page)."""
    return timeline_fragment(
        lambda: load_participant(case_id), PARTICIPANT, "provider.participant", case_id
    )
