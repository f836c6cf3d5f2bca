"""The referral packet on a participant's page: what the provider may know of each of its
referrals, the attempts to reach the person, and closing a referral as could not reach."""

from __future__ import annotations

from flask import flash, make_response, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.permissions import get_service_referral_or_404
from portal.clock import local_today
from portal.models import Case, ReferralStatus, Service, ServiceReferral
from portal.provider import bp
from portal.provider.forms import AttemptForm
from portal.services import contact_attempts, referrals
from portal.services.packets import Packet, packets_for
from portal.web.changes import answer, run_change
from portal.web.htmx import is_htmx, render_blocks

PACKET = "provider/_packet.html"


def referral_options():
    """What a packet reads of a referral: its service and organisation, the case and person."""
    return (
        joinedload(ServiceReferral.service).joinedload(Service.organization),
        joinedload(ServiceReferral.case).joinedload(Case.person),
    )


def attempt_form(referral_id: int, submitted: bool = False) -> AttemptForm:
    """The attempt form of one referral (prefixed: one per packet on the page)."""
    if submitted:
        return AttemptForm(prefix=f"attempt-{referral_id}")
    return AttemptForm(prefix=f"attempt-{referral_id}", formdata=None, attempted_on=local_today())


def packet_context(case: Case, mine: list[ServiceReferral]) -> dict:
    """The packets of the participant page, with a blank attempt form for each open one. They
    are part of the participant's record: the page's one view row (its loader's) audits them."""
    packets = packets_for(case, mine, current_user.organization_id)
    return {
        "packets": packets,
        "attempt_forms": {p.referral.id: attempt_form(p.referral.id) for p in packets if p.is_open},
    }


def _load(referral_id: int) -> ServiceReferral:
    return get_service_referral_or_404(referral_id, current_user, *referral_options())


def _packet(referral_id: int) -> Packet | None:
    referral = _load(referral_id)
    found = packets_for(referral.case, [referral], current_user.organization_id)
    return found[0] if found else None


def _fragment(referral_id: int, status: int = 200, form=None, **extra):
    """One packet again (htmx): after an attempt, or with a refusal beside its form."""
    packet = _packet(referral_id)
    if form is None and packet is not None and packet.is_open:
        form = attempt_form(referral_id)
    return render_blocks(
        PACKET,
        ["packet"],
        status=status,
        p=packet,
        referral_id=referral_id,
        attempt_form=form,
        packet_message=extra.get("message"),
        packet_error=extra.get("error"),
    )


def _refused_page(referral: ServiceReferral, message: str | None):
    """Without htmx: back to the participant page with the refusal (the form's errors are
    shown with htmx; a page form refused is rare enough to say it in a message)."""
    flash(message or "The attempt was not recorded: check the date and how.", "error")
    return redirect(url_for("provider.participant", case_id=referral.case_id))


@bp.post("/service-referrals/<int:referral_id>/attempts")
def record_attempt(referral_id: int):
    """Record an attempt to reach the participant of a pending or accepted referral."""
    referral = _load(referral_id)
    form = attempt_form(referral_id, submitted=True)

    def refused(status: int, error: str | None):
        if not is_htmx():
            return _refused_page(referral, error)
        return _fragment(referral_id, status, form=form, error=error)

    return run_change(
        form,
        lambda: contact_attempts.record_attempt(
            referral, current_user, form.attempted_on.data, form.method.data, form.note.data or ""
        ),
        refused=refused,
        done=lambda _: answer(
            "Attempt recorded.",
            url_for("provider.participant", case_id=referral.case_id),
            lambda: _fragment(referral_id, message="Attempt recorded."),
            "timeline-changed",
        ),
    )


@bp.post("/service-referrals/<int:referral_id>/unreachable")
def close_unreachable(referral_id: int):
    """Close the referral as "could not reach the person" (after at least one attempt)."""
    referral = _load(referral_id)
    case_id, name = referral.case_id, referral.case.person.full_name

    def refused(status: int, error: str | None):
        if not is_htmx():
            return _refused_page(referral, error)
        return _fragment(referral_id, status, error=error)

    def done(closed: ServiceReferral):
        flash(f"Closed the referral of {name}: could not reach the person.", "success")
        # A declined referral takes the participant off this organisation's pages.
        target = (
            url_for("provider.roster")
            if closed.status == ReferralStatus.DECLINED
            else url_for("provider.participant", case_id=case_id)
        )
        if not is_htmx():
            return redirect(target)
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response

    return run_change(
        None,
        lambda: referrals.close_unreachable(referral, current_user),
        refused=refused,
        done=done,
    )
