"""What the engagement sections of the admin case page show: assessments, services, contacts."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from portal.admin.consent_forms import ConsentForm, ConsentScanForm, RevokeForm
from portal.admin.engagement_forms import (
    AssessmentForm,
    CaseDetailsForm,
    ContactForm,
    DeclineStepDownForm,
    EndServiceForm,
    ExitForm,
    domain_fields,
)
from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    Organization,
    RecipientKind,
    ReferralStatus,
    Service,
    ServiceReferral,
    User,
)
from portal.policy import can_see_held_charge, is_in_force, officers_of
from portal.services.assessments import assessment_history, contact_list, is_assessable
from portal.services.case_details import CaseDetails
from portal.services.cases import held_charge, intake_clock, next_steps
from portal.services.compliance_review import case_flags
from portal.services.consent_scans import describe_size, scans_by_consent
from portal.services.consents import (
    consents_of,
    describe_scopes,
    is_irrevocable,
    recipient_label,
)
from portal.services.contact_attempts import attempts_by_referral
from portal.services.referrals import takes_services
from portal.services.step_downs import case_episodes
from portal.web.forms import as_id, choices


def case_referrals(case: Case) -> list[ServiceReferral]:
    """The case's service referrals, newest first, with their service and provider."""
    return list(
        db.session.scalars(
            select(ServiceReferral)
            .where(ServiceReferral.case_id == case.id)
            .options(joinedload(ServiceReferral.service).joinedload(Service.organization))
            .order_by(ServiceReferral.created_at.desc(), ServiceReferral.id.desc())
        )
    )


def end_form(referral_id: int, submitted: bool = False) -> EndServiceForm:
    """The 'end with reason' form of one referral (prefixed: one per referral on the page)."""
    if submitted:
        return EndServiceForm(prefix=f"end-{referral_id}")
    return EndServiceForm(prefix=f"end-{referral_id}", formdata=None)


def step_down_form(episode_id: int, submitted: bool = False) -> DeclineStepDownForm:
    """The 'decline the step-down' form of one episode (prefixed: one per episode)."""
    if submitted:
        return DeclineStepDownForm(prefix=f"step-down-{episode_id}")
    return DeclineStepDownForm(prefix=f"step-down-{episode_id}", formdata=None)


def assessment_form(history) -> AssessmentForm:
    """A blank assessment, with the levels of the latest one filled in for a reassessment."""
    data = {"assessed_on": local_today()}
    if history:
        latest = history[0]
        data |= {"substances": latest.substances, "detox_needed": latest.detox_needed}
        data |= {f"level_{n.domain.value}": n.level.value for n in latest.needs}
    return AssessmentForm(prefix="assess", formdata=None, data=data)


CHOICES = 100  # agencies and providers offered by the consent form, at most (by name)
OFFICER_CHOICES = 20  # the referring agency's officers offered at once; a search finds others


def officer_choices(case: Case, search: str = "", keep: int | None = None) -> list[User]:
    """Active officers of the referring agency a consent may name: the first by name (or those
    whose name holds `search`), the one already chosen always among them."""
    query = select(User).where(officers_of(case.agency_id), User.active)
    if search:
        query = query.where(or_(User.id == keep, func.lower(User.name).like(f"%{search.lower()}%")))
    chosen = (User.id == keep).desc() if keep else None
    order = [o for o in (chosen, User.name, User.id) if o is not None]
    rows = db.session.scalars(query.order_by(*order).limit(OFFICER_CHOICES)).all()
    return sorted(rows, key=lambda u: (u.name, u.id))


def _chosen(model, active, keep: set[int], limit: int) -> list:
    """Active rows of `model` by name, at most `limit`; the chosen ones are kept in the cut."""
    query = select(model).where(active)
    order = [model.name, model.id]
    if keep:
        order.insert(0, model.id.in_(keep).desc())
    rows = db.session.scalars(query.order_by(*order).limit(limit)).all()
    return sorted(rows, key=lambda r: (r.name, r.id))


def consent_form(case: Case, form: ConsentForm | None = None) -> ConsentForm:
    """The consent form with its choices, bounded: active agencies and providers by name (at
    most CHOICES each, the chosen ones always offered) and the referring agency's first officers
    (a search finds the others); blank, naming the referring agency by default."""
    if form is None:
        form = ConsentForm(
            prefix="consent",
            formdata=None,
            recipient_kind=RecipientKind.AGENCY.value,
            recipient_agency_id=str(case.agency_id or ""),
            signed_on=local_today(),
        )
    agency = as_id(form.recipient_agency_id.data)
    agencies = _chosen(Agency, Agency.active, {agency} if agency else set(), CHOICES)
    officers = officer_choices(case, keep=as_id(form.recipient_officer_id.data))
    providers = {i for i in (as_id(v) for v in form.provider_ids.data or []) if i}
    organizations = _chosen(Organization, Organization.active, providers, CHOICES)
    form.recipient_agency_id.choices = choices(
        [("", "Choose an agency"), *((a.id, a.name) for a in agencies)]
    )
    form.recipient_officer_id.choices = choices(
        [("", "Choose an officer"), *((o.id, o.name) for o in officers)]
    )
    form.provider_ids.choices = choices((o.id, o.name) for o in organizations)
    return form


def revoke_form(consent_id: int, submitted: bool = False) -> RevokeForm:
    """The revocation form of one consent (prefixed: one per consent on the page)."""
    if submitted:
        return RevokeForm(prefix=f"revoke-{consent_id}")
    return RevokeForm(prefix=f"revoke-{consent_id}", formdata=None, revoked_on=local_today())


def scan_form(consent_id: int, submitted: bool = False) -> ConsentScanForm:
    """The upload form of one consent's signed scan (prefixed: one per consent on the page)."""
    if submitted:
        return ConsentScanForm(prefix=f"scan-{consent_id}")
    return ConsentScanForm(prefix=f"scan-{consent_id}", formdata=None)


def details_form(case: Case) -> CaseDetailsForm:
    """The referral details form, filled with the case's current details and version."""
    details = CaseDetails.of(case, case.person)
    return CaseDetailsForm(
        prefix="details", formdata=None, version=case.version, **details.__dict__
    )


def sections(case: Case, **overrides) -> dict:
    """The context of the case page's engagement sections; `overrides` replace blank forms."""
    history = assessment_history(case)
    service_referrals = case_referrals(case)
    end_forms = {
        r.id: end_form(r.id) for r in service_referrals if r.status == ReferralStatus.ACCEPTED
    }
    if overrides.get("end_form") is not None:
        end_forms[overrides["end_form_id"]] = overrides["end_form"]
    episodes = {e.service_referral_id: e for e in case_episodes(case)}
    step_down_forms = {
        e.id: step_down_form(e.id) for e in episodes.values() if e.awaits_step_down_decision
    }
    if overrides.get("step_down_form") is not None:
        step_down_forms[overrides["step_down_form_id"]] = overrides["step_down_form"]
    case_consents = consents_of(case)
    revoke_forms = {c.id: revoke_form(c.id) for c in case_consents if is_in_force(c)}
    if overrides.get("revoke_form") is not None:
        revoke_forms[overrides["revoke_form_id"]] = overrides["revoke_form"]
    scan_forms = {c.id: scan_form(c.id) for c in case_consents if not c.legacy}
    if overrides.get("scan_form") is not None:
        scan_forms[overrides["scan_form_id"]] = overrides["scan_form"]
    context = {
        "consents": case_consents,
        "consent_in_force": is_in_force,
        "consent_irrevocable": is_irrevocable,
        "describe_scopes": describe_scopes,
        "recipient_label": recipient_label,
        "can_consent": case.intake_completed_on is not None,
        "consent_form": consent_form(case, overrides.get("consent_form")),
        "officer_choice_count": OFFICER_CHOICES,
        "revoke_forms": revoke_forms,
        "scans": scans_by_consent(case),  # what is on file, never the bytes
        "scan_forms": scan_forms,
        "scan_limit": describe_size(current_app.config["CONSENT_SCAN_MAX_BYTES"]),
        "describe_size": describe_size,
        "assessments": history,
        "latest_assessment": history[0] if history else None,
        "contacts": contact_list(case),
        "service_referrals": service_referrals,
        # The providers' attempts to reach the participant, by referral.
        "attempts": attempts_by_referral([r.id for r in service_referrals]),
        "end_forms": end_forms,
        "episodes": episodes,
        "step_down_forms": step_down_forms,
        "can_engage": is_assessable(case),
        "can_assign": takes_services(case),
        "assessment_form": assessment_form(history),
        "contact_form": ContactForm(prefix="contact", formdata=None, contacted_on=local_today()),
        "exit_form": ExitForm(
            prefix="exit", formdata=None, version=case.version, closed_on=local_today()
        ),
        "details_form": details_form(case),
        "charge": held_charge(case) if can_see_held_charge(current_user, case) else None,
        "clock": intake_clock(case),
        "flags": case_flags(current_user, case),
        "steps": next_steps(case),
        "domain_fields": domain_fields,
    }
    skip = (
        *("end_form", "end_form_id", "consent_form", "revoke_form", "revoke_form_id"),
        *("scan_form", "scan_form_id", "step_down_form", "step_down_form_id"),
    )
    context.update({k: v for k, v in overrides.items() if k not in skip})
    return context
