"""Case managers' work: assigning a case, each case manager's caseload, the outreach queue."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.case_page import CASE_OPTIONS, load_case
from portal.admin.forms import AssignForm
from portal.admin.views import change_workflow
from portal.auth.permissions import allowed_for
from portal.clock import local_today
from portal.models import Case
from portal.services import caseload
from portal.services.cases import intake_clock
from portal.services.paging import capped_count, keyset_page
from portal.services.settings import get_settings
from portal.web.forms import as_id
from portal.web.htmx import render


@bp.post("/cases/<int:case_id>/case-manager")
@allowed_for(policy.can_manage_case)
def assign_case_manager(case_id: int):
    """Assign, reassign or unassign the case's case manager ("take this case": oneself)."""
    case = load_case(case_id)
    form = AssignForm()
    return change_workflow(
        case_id,
        form,
        "assign_form",
        lambda: caseload.assign_case_manager(
            case, current_user, as_id(form.case_manager_id.data), form.version_number
        ),
        "Case manager saved.",
    )


@bp.get("/caseload")
@allowed_for(policy.can_view_caseload)
def caseloads():
    """Each active case manager's open cases against the program's guidance, a page at a time,
    with the open cases nobody is assigned to."""
    settings = get_settings()
    page = caseload.caseload_page(request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render(
        "admin/caseload.html",
        page=page,
        guidance=caseload.Guidance(settings.caseload_guidance, settings.caseload_flag_over),
        unassigned=capped_count(caseload.unassigned_open_cases(), Case.id),
    )


@bp.get("/outreach")
@allowed_for(policy.can_manage_case)
def outreach_queue():
    """Accepted cases not yet at intake, the nearest intake deadline first, each with its
    latest contact; filtered by case manager."""
    managed = caseload.manager_filter(request.args.get("cm"), current_user)
    query = managed.apply(caseload.outreach_cases(current_user)).options(*CASE_OPTIONS)
    page = keyset_page(
        query, caseload.OUTREACH_KEYS, request.args.get("after"), current_app.config["PAGE_SIZE"]
    )
    return render(
        "admin/outreach.html",
        block="outreach",
        page=page,
        total=capped_count(query, Case.id),
        contacts=caseload.latest_contacts([c.id for c in page.rows]),
        cm=managed.value or None,
        cm_choices=caseload.filter_choices(managed),
        today=local_today(),
        intake_clock=intake_clock,
    )
