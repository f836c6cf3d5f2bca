"""The matching screen: services ranked for a participant, filtered and assigned through htmx."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import policy
from portal.admin import bp
from portal.admin.case_page import load_case
from portal.admin.forms import AssignServiceForm
from portal.auth.permissions import allowed_for
from portal.extensions import db
from portal.models import Case, Organization, Service, ServiceCategory
from portal.services import matching
from portal.services.assessments import latest_assessment
from portal.services.paging import numbered_page
from portal.services.referrals import takes_services
from portal.web.changes import answer, run_change
from portal.web.htmx import is_htmx, render, render_blocks

TEMPLATE = "admin/matching.html"
CATEGORY_VALUES = {c.value for c in ServiceCategory}


def _filters() -> matching.MatchFilters:
    category = request.args.get("category") or ""
    return matching.MatchFilters(
        category=ServiceCategory(category) if category in CATEGORY_VALUES else None,
        organization_id=request.args.get("organization", type=int),
        with_capacity=request.args.get("capacity") == "1",
    )


def _page_context(case: Case, filters: matching.MatchFilters) -> dict:
    assessment = latest_assessment(case)
    return {
        "case": case,
        "assessment": assessment,
        # Ranked in Python over the directory's active services (hundreds at most), shown a
        # page at a time.
        "matches": numbered_page(
            matching.rank_services(case, filters, assessment=assessment),
            request.args.get("page"),
            current_app.config["PAGE_SIZE"],
        ),
        "filters": filters,
        "categories": list(ServiceCategory),
        # The filter form is not part of the results fragment.
        "organizations": []
        if is_htmx()
        else db.session.scalars(
            select(Organization).where(Organization.active.is_(True)).order_by(Organization.name)
        ).all(),
        "can_assign": takes_services(case),
    }


@bp.get("/cases/<int:case_id>/matching")
@allowed_for(policy.can_manage_case)
def matching_screen(case_id: int):
    """Services ranked for the participant's needs, filtered (htmx updates the results)."""
    case = load_case(case_id)
    return render(TEMPLATE, block="results", **_page_context(case, _filters()))


def _row(case: Case, service_id: int, status: int = 200, **message):
    match = matching.match_for(case, service_id)
    return render_blocks(
        TEMPLATE,
        ["match_row"],
        status=status,
        case=case,
        match=match,
        service_id=service_id,
        can_assign=takes_services(case),
        **message,
    )


@bp.post("/cases/<int:case_id>/matching/<int:service_id>/assign")
@allowed_for(policy.can_manage_case)
def assign_service(case_id: int, service_id: int):
    """Refer the participant to a matched service, holding one of its places."""
    case = load_case(case_id)
    service = db.session.scalar(
        select(Service).where(Service.id == service_id).options(joinedload(Service.organization))
    )
    if service is None:
        abort(404)
    name = service.name
    form = AssignServiceForm()

    def refused(status: int, error: str | None):
        # A refused form (the reason too long, a character no text holds) says why in the row.
        error = error or " ".join(m for found in form.errors.values() for m in found)
        fresh = load_case(case_id)
        if not is_htmx():
            context = _page_context(fresh, matching.MatchFilters())
            return render(TEMPLATE, status=status, page_error=f"{name}: {error}", **context)
        return _row(fresh, service_id, status, row_error=f"{error} Nothing was assigned.")

    return run_change(
        form,
        lambda: matching.assign_matched(case, service, current_user, form.note.data or ""),
        refused=refused,
        done=lambda _: answer(
            f"{name} assigned; waiting for the provider to accept.",
            url_for("admin.matching_screen", case_id=case_id),
            lambda: _row(
                load_case(case_id),
                service_id,
                row_message="Assigned; waiting for the provider to accept.",
            ),
            "timeline-changed",
        ),
    )
