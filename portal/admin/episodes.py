"""The case manager's decision on a step-down a provider named at discharge: confirm it (the
referral to the named service is made) or decline it (with the reason)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.case_page import load_case
from portal.admin.case_sections import step_down_form
from portal.admin.engagement import change_section
from portal.admin.engagement_forms import CompleteServiceForm
from portal.auth.permissions import allowed_for
from portal.models import Case, Episode
from portal.services import step_downs


def _episode(case: Case, episode_id: int) -> Episode:
    """One of the case's episodes (any other answers 404)."""
    episode = step_downs.get_episode_of_case(case, episode_id)
    if episode is None:
        abort(404)
    return episode


@bp.post("/cases/<int:case_id>/episodes/<int:episode_id>/step-down/confirm")
@allowed_for(policy.can_decide_step_down)
def confirm_step_down(case_id: int, episode_id: int):
    """Make the referral to the step-down service (a place reserved, as matching does)."""
    case = load_case(case_id)
    episode = _episode(case, episode_id)
    return change_section(
        case_id,
        CompleteServiceForm(prefix="complete"),  # a bare button: CSRF only
        "confirm_form",
        "service_referrals",
        lambda: step_downs.confirm_step_down(episode, current_user),
        "Step-down confirmed: the referral is made and waits for the provider.",
    )


@bp.post("/cases/<int:case_id>/episodes/<int:episode_id>/step-down/decline")
@allowed_for(policy.can_decide_step_down)
def decline_step_down(case_id: int, episode_id: int):
    """Do not make the step-down referral, for the reason given."""
    case = load_case(case_id)
    episode = _episode(case, episode_id)
    form = step_down_form(episode_id, submitted=True)
    return change_section(
        case_id,
        form,
        "step_down_form",
        "service_referrals",
        lambda: step_downs.decline_step_down(episode, form.reason.data or "", current_user),
        "Step-down declined.",
        step_down_form_id=episode_id,
    )
