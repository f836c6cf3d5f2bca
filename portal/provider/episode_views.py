"""Provider staff: admitting a participant to an episode service, and discharging them."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.permissions import get_service_referral_or_404
from portal.models import Case, ServiceReferral
from portal.provider import bp
from portal.provider.participant_page import (
    admit_form,
    discharge_form,
    episodes_section,
)
from portal.services import episodes
from portal.web.changes import answer, run_change


def _episode_referral(referral_id: int) -> ServiceReferral:
    """A referral of this organisation's to an episode service (any other answers 404)."""
    referral = get_service_referral_or_404(
        referral_id,
        current_user,
        joinedload(ServiceReferral.service),
        joinedload(ServiceReferral.case).joinedload(Case.person),
    )
    if not referral.service.is_episode:
        abort(404)
    return referral


def _change(referral: ServiceReferral, form, change, success: str):
    case_id = referral.case_id
    return run_change(
        form,
        change,
        refused=lambda status, error: episodes_section(
            case_id, status, forms={referral.id: form}, error=error
        ),
        done=lambda _: answer(
            success,
            url_for("provider.participant", case_id=case_id, _anchor="episodes"),
            lambda: episodes_section(case_id, message=success),
            "timeline-changed",
        ),
    )


@bp.post("/service-referrals/<int:referral_id>/admit")
def admit(referral_id: int):
    """Admit the participant: the date, and every admission criterion confirmed."""
    referral = _episode_referral(referral_id)
    form = admit_form(referral, submitted=True)
    name, service = referral.case.person.full_name, referral.service.name
    return _change(
        referral,
        form,
        lambda: episodes.admit(referral, form.admitted_on.data, form.confirmed(), current_user),
        f"Admitted {name} to {service}.",
    )


@bp.post("/service-referrals/<int:referral_id>/discharge")
def discharge(referral_id: int):
    """Discharge the admitted participant: date, outcome, step-down service, note."""
    referral = _episode_referral(referral_id)
    episode = episodes.episode_of(referral.id)
    if episode is None:
        abort(404)
    form = discharge_form(referral, episodes.step_down_choices(referral.service), submitted=True)
    name, service = referral.case.person.full_name, referral.service.name
    return _change(
        referral,
        form,
        lambda: episodes.discharge(
            episode,
            episodes.Discharge(
                form.discharged_on.data,
                form.outcome.data,
                form.step_down_id(),
                form.note.data or "",
            ),
            current_user,
        ),
        f"Discharged {name} from {service}.",
    )
