"""The office's screening: the referral queue, the case list, a case's page, accept, decline
and intake."""

from __future__ import annotations

import datetime as dt

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_

from portal import policy
from portal.admin import bp
from portal.admin.case_page import (
    CASE_OPTIONS,
    PAGE,
    case_page,
    load_case,
    reason_choices,
)
from portal.admin.forms import AcceptForm, DeclineForm, IntakeForm
from portal.auth.permissions import allowed_for
from portal.clock import local_today
from portal.models import Case, CaseStatus, Person
from portal.policy import case_scope
from portal.services import cases
from portal.services.caseload import filter_choices, manager_filter
from portal.services.paging import Key, capped_count, capped_counts, keyset_page, search_term
from portal.services.person_matches import queue_marks
from portal.services.step_downs import proposed_step_downs
from portal.web.changes import answer, run_change
from portal.web.htmx import render
from portal.web.timeline import timeline_fragment

# The queue's two lists, each paged on its own: new referrals oldest first, accepted cases by
# their intake deadline.
NEW_KEYS = [Key(Case.referred_at, dt.datetime), Key(Case.id, int)]
AWAITING_KEYS = [Key(Case.intake_deadline, dt.date), Key(Case.id, int)]


@bp.get("/")
@allowed_for(policy.can_manage_case)
def queue():
    """New referrals oldest first, then accepted cases awaiting intake, by deadline, a page of
    each, filtered by case manager; a case whose person has a possible match, or another open
    referral, is marked (one query for the whole page)."""
    size = current_app.config["PAGE_SIZE"]
    managed = manager_filter(request.args.get("cm"), current_user)
    base = managed.apply(case_scope(current_user)).options(*CASE_OPTIONS)
    new_cases = base.where(Case.status == CaseStatus.REFERRED)
    awaiting_cases = base.where(Case.status == CaseStatus.ACCEPTED)
    new = keyset_page(new_cases, NEW_KEYS, request.args.get("new"), size)
    awaiting = keyset_page(awaiting_cases, AWAITING_KEYS, request.args.get("awaiting"), size)
    matched, open_elsewhere = queue_marks([c.id for c in (*new.rows, *awaiting.rows)], current_user)
    return render(
        "admin/queue.html",
        block="queue",
        new=new,
        awaiting=awaiting,
        counts=capped_counts((new_cases, Case.id), (awaiting_cases, Case.id)),
        cursors={"new": request.args.get("new"), "awaiting": request.args.get("awaiting")},
        cm=managed.value or None,
        cm_choices=filter_choices(managed),
        matched=matched,
        open_elsewhere=open_elsewhere,
        today=local_today(),
        intake_clock=cases.intake_clock,
        step_downs=proposed_step_downs(managed.condition),
    )


CASE_KEYS = [Key(Case.referred_at, dt.datetime, descending=True), Key(Case.id, int, True)]


@bp.get("/cases")
@allowed_for(policy.can_manage_case)
def case_list():
    """All cases, newest first, filtered by status, case manager and a name (the person's, or as
    referred), alias or incident search; a page at a time, with a count that stops at 1,000."""
    status = request.args.get("status") or None
    if status not in {s.value for s in CaseStatus}:
        status = None
    q, searching = search_term(request.args.get("q"))
    managed = manager_filter(request.args.get("cm"), current_user)
    query = managed.apply(case_scope(current_user)).join(Case.person).options(*CASE_OPTIONS)
    if status:
        query = query.where(Case.status == CaseStatus(status))
    if searching:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Person.first_name + " " + Person.last_name).like(like),
                func.lower(Case.referred_first_name + " " + Case.referred_last_name).like(like),
                func.lower(Person.aliases).like(like),
                func.lower(func.coalesce(Case.incident_number, "")).like(like),
            )
        )
    page = keyset_page(query, CASE_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render(
        "admin/cases.html",
        block="results",
        page=page,
        total=capped_count(query, Case.id),
        status_filter=status,
        cm=managed.value or None,
        cm_choices=filter_choices(managed),
        q=q,
        searching=searching,
        statuses=list(CaseStatus),
    )


@bp.get("/cases/<int:case_id>")
@allowed_for(policy.can_manage_case)
def case_detail(case_id: int):
    """One case: the referral, screening or intake, engagement and the timeline."""
    return case_page(load_case(case_id))


@bp.get("/cases/<int:case_id>/timeline")
@allowed_for(policy.can_manage_case)
def case_timeline(case_id: int):
    """The case's timeline fragment (polled; older entries on demand)."""
    return timeline_fragment(lambda: load_case(case_id), PAGE, "admin.case_detail", case_id)


def change_workflow(case_id: int, form, form_name: str, change, success: str):
    """Screening, intake and exit: run the change and answer the workflow panel.

    Refused, the panel comes back with the form as submitted (its messages beside the fields)
    or with the message above it and fresh forms; a conflict shows the latest version.
    """

    def refused(status: int, error: str | None):
        fresh = load_case(case_id)
        if error is None:
            return case_page(fresh, status, "workflow", form.hidden_errors, **{form_name: form})
        return case_page(fresh, status, "workflow", error)

    def done(_):
        return answer(
            success,
            url_for("admin.case_detail", case_id=case_id),
            lambda: case_page(load_case(case_id), block="workflow"),
            "timeline-changed",
            "queue-changed",
        )

    return run_change(form, change, refused=refused, done=done)


@bp.post("/cases/<int:case_id>/accept")
@allowed_for(policy.can_manage_case)
def accept_referral(case_id: int):
    """Screening: the referral meets the program's criteria."""
    case = load_case(case_id)
    form = AcceptForm()
    return change_workflow(
        case_id,
        form,
        "accept_form",
        lambda: cases.accept_referral(
            case,
            current_user,
            form.version_number,
            form.note.data or "",
            duplicate_confirmed=bool(form.confirm_duplicate.data),
        ),
        "Referral accepted.",
    )


@bp.post("/cases/<int:case_id>/decline")
@allowed_for(policy.can_manage_case)
def decline_referral(case_id: int):
    """Screening: the referral is excluded, for one of the program's reasons."""
    case = load_case(case_id)
    form = DeclineForm()
    form.reason.choices = reason_choices(cases.decline_reasons(case))
    return change_workflow(
        case_id,
        form,
        "decline_form",
        lambda: cases.decline_referral(
            case, current_user, form.reason.data, form.note.data or "", form.version_number
        ),
        "Referral declined.",
    )


@bp.post("/cases/<int:case_id>/intake")
@allowed_for(policy.can_manage_case)
def intake(case_id: int):
    """Intake is complete: the case becomes active."""
    case = load_case(case_id)
    form = IntakeForm()
    return change_workflow(
        case_id,
        form,
        "intake_form",
        lambda: cases.complete_intake(
            case, current_user, form.completed_on.data, form.version_number
        ),
        "Intake recorded; the case is active.",
    )
