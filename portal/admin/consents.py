"""The office records a participant's consent to disclose, records its revocation, attaches the
signed scan, prints the consent form for a wet signature and the accounting of disclosures."""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from portal import policy
from portal.admin import bp
from portal.admin.case_page import load_case
from portal.admin.case_sections import consent_form, officer_choices, revoke_form, scan_form
from portal.admin.consent_forms import ConsentForm
from portal.admin.engagement import change_section
from portal.auth.permissions import allowed_for
from portal.auth.reauth import fresh_auth_required
from portal.extensions import db
from portal.models import Case, Consent, Organization, User
from portal.services import consent_scans, consents
from portal.services.disclosures import REDISCLOSURE_NOTICE, accounting
from portal.services.paging import search_term
from portal.web.forms import as_id
from portal.web.guards import takes_files
from portal.web.htmx import render


def _consent(case: Case, consent_id: int) -> Consent:
    consent = db.session.scalar(
        select(Consent).where(Consent.id == consent_id, Consent.case_id == case.id)
    )
    if consent is None:
        abort(404)
    return consent


@bp.post("/cases/<int:case_id>/consents")
@allowed_for(policy.can_manage_case)
@fresh_auth_required
def record_consent(case_id: int):
    """Record the participant's signed consent (witnessed by the staff member recording it)."""
    case = load_case(case_id)
    form = consent_form(case, ConsentForm(prefix="consent"))
    return change_section(
        case_id,
        form,
        "consent_form",
        "consents",
        lambda: consents.record_consent(case, current_user, form.data_for_service()),
        "Consent recorded.",
    )


@bp.get("/cases/<int:case_id>/consents/officers")
@allowed_for(policy.can_manage_case)
def consent_officers(case_id: int):
    """The consent form's officer choices matching a name search (htmx swaps them into the
    select, the chosen one kept); a search under two characters offers the first by name."""
    case = load_case(case_id)
    q, searching = search_term(request.args.get("officer_search"))
    chosen = as_id(request.args.get("consent-recipient_officer_id"))
    officers = officer_choices(case, q if searching else "", keep=chosen)
    response = make_response(
        render_template(
            "admin/consent_officers.html", officers=officers, chosen=chosen, searching=searching
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/cases/<int:case_id>/consents/<int:consent_id>/revoke")
@allowed_for(policy.can_manage_case)
@fresh_auth_required
def revoke_consent(case_id: int, consent_id: int):
    """Record that the participant revoked a consent (refused while it is irrevocable)."""
    case = load_case(case_id)
    consent = _consent(case, consent_id)
    form = revoke_form(consent_id, submitted=True)
    return change_section(
        case_id,
        form,
        "revoke_form",
        "consents",
        lambda: consents.revoke_consent(
            consent,
            current_user,
            form.revoked_on.data,
            form.received.data or "",
            event_occurred=bool(form.event_occurred.data),
        ),
        "Revocation recorded: nothing more is disclosed under this consent.",
        revoke_form_id=consent_id,
    )


@bp.post("/cases/<int:case_id>/consents/<int:consent_id>/scans")
@allowed_for(policy.can_manage_case)
@takes_files
def attach_consent_scan(case_id: int, consent_id: int):
    """Attach the signed scan of a consent: it becomes the one on file, earlier ones are kept.
    No timeline entry (none of its kinds says this; the audit trail records it)."""
    case = load_case(case_id)
    consent = _consent(case, consent_id)
    form = scan_form(consent_id, submitted=True)
    limit = current_app.config["CONSENT_SCAN_MAX_BYTES"]

    def attach():
        upload = form.file.data
        # One byte past the limit is enough to refuse it; more is never read into memory.
        content = upload.stream.read(limit + 1)
        return consent_scans.attach_consent_scan(
            consent, current_user, upload.filename, content, max_bytes=limit
        )

    return change_section(
        case_id,
        form,
        "scan_form",
        "consents",
        attach,
        "Signed scan attached.",
        events=(),
        scan_form_id=consent_id,
    )


@bp.get("/cases/<int:case_id>/consents/<int:consent_id>/print")
@allowed_for(policy.can_manage_case)
def print_consent(case_id: int, consent_id: int):
    """The consent form filled from the record, to print for a wet signature."""
    case = load_case(case_id)
    consent = _consent(case, consent_id)
    providers = db.session.scalars(
        select(Organization.name).where(Organization.id.in_(consent.provider_ids or [0]))
    ).all()
    return render(
        "admin/consent_print.html",
        case=case,
        consent=consent,
        providers=providers,
        scopes=consents.describe_scopes(consent),
        recipient=consents.recipient_label(consent),
        witness=db.session.get(User, consent.witness_id or 0),
    )


@bp.get("/cases/<int:case_id>/disclosures")
@allowed_for(policy.can_manage_case)
def disclosures(case_id: int):
    """The accounting of disclosures of the past three years (42 CFR 2.25), printable."""
    case = load_case(case_id)
    return render(
        "admin/disclosures.html", case=case, rows=accounting(case), notice=REDISCLOSURE_NOTICE
    )
