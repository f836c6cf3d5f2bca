"""The office's case page: loading a case, and rendering the page or one of its sections.

Shared by the screening views (views.py), engagement (engagement.py) and matching.
"""

from __future__ import annotations

from flask import Response, abort
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.admin.case_sections import sections
from portal.admin.forms import (
    AcceptForm,
    AssignForm,
    DeclineForm,
    IntakeForm,
    KeepApartForm,
    LinkPersonForm,
)
from portal.auth.permissions import get_case_or_404, get_service_referral_or_404
from portal.clock import local_today
from portal.models import Case, ServiceReferral
from portal.services.caseload import manager_choices
from portal.services.cases import decline_reasons, next_steps
from portal.services.outcomes import status_due
from portal.services.person_matches import possible_matches
from portal.services.same_person import other_open_referrals
from portal.services.timeline import get_timeline
from portal.web.forms import choices
from portal.web.htmx import is_htmx, render, render_blocks

PAGE = "admin/case_detail.html"
SECTIONS = "admin/case_engagement.html"
CASE_OPTIONS = (
    joinedload(Case.person),
    joinedload(Case.officer),
    joinedload(Case.agency),
    joinedload(Case.case_manager),
    joinedload(Case.entered_by),
)


def load_case(case_id: int) -> Case:
    """The case with its person, officer and agency, if the user may see it (else 404)."""
    return get_case_or_404(case_id, current_user, *CASE_OPTIONS)


def load_service_referral(case: Case, referral_id: int) -> ServiceReferral:
    """One of the case's service referrals (any other answers 404)."""
    referral = get_service_referral_or_404(referral_id, current_user)
    if referral.case_id != case.id:
        abort(404)
    return referral


def reason_choices(reasons: list[str]):
    """The program's exclusion reasons as select options."""
    return choices([("", "Choose a reason"), *((r, r) for r in reasons)])


def workflow_forms(case: Case, **overrides) -> dict:
    """The screening, intake and assignment forms, blank and carrying the case's version, or as
    submitted."""
    forms = {
        "assign_form": AssignForm(
            formdata=None, version=case.version, case_manager_id=str(case.case_manager_id or "")
        ),
        "accept_form": AcceptForm(formdata=None, version=case.version),
        "decline_form": DeclineForm(formdata=None, version=case.version),
        "intake_form": IntakeForm(formdata=None, version=case.version, completed_on=local_today()),
    }
    forms.update(overrides)
    others = other_open_referrals(case)
    forms["decline_form"].reason.choices = reason_choices(decline_reasons(case, others))
    forms["open_elsewhere"] = others
    managers = manager_choices(case.case_manager_id)
    forms["assign_form"].case_manager_id.choices = choices(
        [("", "Nobody (unassigned)"), *((u.id, u.name) for u in managers)]
    )
    return forms


MATCH_KEYS = ("link_form", "link_form_id", "matches_error", "matches_message")


def match_context(case: Case, **overrides) -> dict:
    """The possible matches of the case's person, with a link form each (or the one submitted)
    and the keep-apart form; all carry the case's version."""
    matches = possible_matches(case, current_user)
    link_forms = {
        m.person.id: LinkPersonForm(
            prefix=f"link-{m.person.id}", formdata=None, version=case.version
        )
        for m in matches
    }
    if overrides.get("link_form") is not None:
        link_forms[overrides["link_form_id"]] = overrides["link_form"]
    return {
        "matches": matches,
        "screening": next_steps(case).screen,
        "link_forms": link_forms,
        "keep_apart_form": KeepApartForm(formdata=None, version=case.version),
        "matches_error": overrides.get("matches_error"),
        "matches_message": overrides.get("matches_message"),
    }


def case_page(
    case: Case, status: int = 200, block: str | None = None, error=None, **forms
) -> Response:
    """The whole case page, or for htmx `block` with the status and engagement (out of band)."""
    matching = {k: forms.pop(k) for k in MATCH_KEYS if k in forms}
    context = {
        "case": case,
        "timeline": get_timeline(case, current_user),
        "error": error,
        "status_due": status_due(case),
        **sections(case, **forms),
        **workflow_forms(case, **forms),
        **match_context(case, **matching),
    }
    if block and is_htmx():
        blocks = [block, "status_oob", "engagement_oob"]
        if status == 200:
            # The change moved the case's version: the page's other versioned forms (the
            # referral details, the possible matches) move with it, or their next save would
            # be a false conflict.
            blocks += ["referral", "matches"]
            context |= {"referral_oob": True, "matches_oob": True}
        return render_blocks(PAGE, blocks, status=status, **context)
    return render(PAGE, status=status, **context)


def matches_section(case: Case, status: int = 200, **overrides) -> Response:
    """The possible matches for htmx; the whole case page otherwise."""
    if not is_htmx():
        return case_page(case, status, **overrides)
    context = {"case": case, **match_context(case, **overrides)}
    return render_blocks(PAGE, ["matches"], status=status, **context)


def section(case: Case, block: str, status: int = 200, **overrides) -> Response:
    """One engagement section for htmx; the whole case page otherwise (a 422 without JS)."""
    if not is_htmx():
        return case_page(case, status, **overrides)
    return render_blocks(SECTIONS, [block], status=status, case=case, **sections(case, **overrides))


def referral_section(case: Case, status: int = 200, moved: bool = False, **overrides) -> Response:
    """The referral section for htmx; the whole page otherwise.

    `moved`: the save moved the case's version, so the screening/intake/exit forms and the
    possible matches come too (out of band), carrying it.
    """
    if not is_htmx():
        return case_page(case, status, **overrides)
    context = {"case": case, **sections(case, **overrides)}
    blocks = ["referral"]
    if moved:
        context |= {**workflow_forms(case), "error": None, "workflow_oob": True}
        context |= {**match_context(case), "matches_oob": True}
        blocks += ["workflow", "matches"]
    return render_blocks(PAGE, blocks, status=status, **context)
