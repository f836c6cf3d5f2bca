"""The provider's participant page: its referrals, episodes, attendance and timeline, rendered
whole or (for htmx) its episodes section alone."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.permissions import get_case_or_404
from portal.extensions import db
from portal.models import Case, Episode, ReferralStatus, Service, ServiceReferral
from portal.policy import service_referral_scope
from portal.provider.forms import AdmitForm, DischargeForm
from portal.provider.packet_views import packet_context, referral_options
from portal.services import episodes as episode_service
from portal.services.attendance import attendance_history
from portal.services.timeline import get_timeline
from portal.web.forms import choices
from portal.web.htmx import is_htmx, render, render_blocks

PARTICIPANT = "provider/participant.html"


def load_participant(case_id: int) -> Case:
    return get_case_or_404(case_id, current_user, joinedload(Case.person))


def my_referrals(case: Case) -> list[ServiceReferral]:
    """The case's referrals to this organisation's services, newest first."""
    return list(
        db.session.scalars(
            service_referral_scope(current_user)
            .where(ServiceReferral.case_id == case.id)
            .options(*referral_options())
            .order_by(ServiceReferral.created_at.desc(), ServiceReferral.id.desc())
        )
    )


def admit_form(referral: ServiceReferral, submitted: bool = False) -> AdmitForm:
    """The admission form of one referral, its checklist the service's criteria."""
    prefix = f"admit-{referral.id}"
    form = AdmitForm(prefix=prefix) if submitted else AdmitForm(prefix=prefix, formdata=None)
    form.criteria.choices = choices(enumerate(referral.service.admission_criteria or []))
    return form


def discharge_form(
    referral: ServiceReferral, services: list[Service], submitted: bool = False
) -> DischargeForm:
    """The discharge form of one referral, offering the services it may step down to."""
    prefix = f"discharge-{referral.id}"
    form = (
        DischargeForm(prefix=prefix) if submitted else DischargeForm(prefix=prefix, formdata=None)
    )
    form.step_down_service_id.choices = choices(
        [
            ("", "Choose a service"),
            *((s.id, f"{s.name} ({s.organization.name})") for s in services),
        ]
    )
    return form


def episode_context(
    mine: list[ServiceReferral], forms: dict | None = None, message=None, error=None
) -> dict:
    """Each episode referral's admission or discharge form (blank, or as submitted in `forms`,
    keyed by referral id) and the episodes recorded."""
    episode_referrals = [r for r in mine if r.service.is_episode]
    found: dict[int, Episode] = episode_service.episodes_of([r.id for r in episode_referrals])
    choices_of: dict[int, list[Service]] = {}
    admit_forms, discharge_forms = {}, {}
    for r in episode_referrals:
        episode = found.get(r.id)
        if r.status != ReferralStatus.ACCEPTED:
            continue
        if episode is None:
            admit_forms[r.id] = admit_form(r)
        elif not episode.is_discharged:
            if r.service_id not in choices_of:
                choices_of[r.service_id] = episode_service.step_down_choices(r.service)
            discharge_forms[r.id] = discharge_form(r, choices_of[r.service_id])
    for referral_id, form in (forms or {}).items():
        target = admit_forms if isinstance(form, AdmitForm) else discharge_forms
        target[referral_id] = form
    return {
        "episode_referrals": episode_referrals,
        "episodes": found,
        "admit_forms": admit_forms,
        "discharge_forms": discharge_forms,
        "episodes_message": message,
        "episodes_error": error,
    }


def participant_page(case: Case, status: int = 200, **episode_overrides):
    """The whole participant page."""
    mine = my_referrals(case)
    attendance, corrections = attendance_history(
        [r.id for r in mine], request.args.get("attendance"), current_app.config["PAGE_SIZE"]
    )
    return render(
        PARTICIPANT,
        status=status,
        case=case,
        referrals=mine,
        services={r.id: r.service for r in mine},
        attendance=attendance.rows,
        attendance_page=attendance,
        corrections=corrections,
        timeline=get_timeline(case, current_user),
        **packet_context(case, mine),
        **episode_context(mine, **episode_overrides),
    )


def episodes_section(case_id: int, status: int = 200, **episode_overrides):
    """The episodes section (htmx), or the whole page (a form sent without JavaScript)."""
    case = load_participant(case_id)
    if not is_htmx():
        return participant_page(case, status, **episode_overrides)
    context = {"case": case, **episode_context(my_referrals(case), **episode_overrides)}
    return render_blocks(PARTICIPANT, ["episodes"], status=status, **context)
