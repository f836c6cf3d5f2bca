"""What the engagement sections of the admin case page show: assessments, services, contacts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.admin.engagement_forms import (
    AssessmentForm,
    CaseDetailsForm,
    ContactForm,
    EndServiceForm,
    ExitForm,
    domain_fields,
)
from portal.clock import local_today
from portal.extensions import db
from portal.models import Case, ReferralStatus, Service, ServiceReferral
from portal.services.assessments import assessment_history, contact_list, is_assessable
from portal.services.case_details import CaseDetails
from portal.services.cases import intake_clock, next_steps
from portal.services.referrals import takes_services


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


def assessment_form(history) -> AssessmentForm:
    """A blank assessment, with the levels of the latest one filled in for a reassessment."""
    data = {"assessed_on": local_today()}
    if history:
        latest = history[0]
        data |= {"substances": latest.substances, "detox_needed": latest.detox_needed}
        data |= {f"level_{n.domain.value}": n.level.value for n in latest.needs}
    return AssessmentForm(prefix="assess", formdata=None, data=data)


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
    context = {
        "assessments": history,
        "latest_assessment": history[0] if history else None,
        "contacts": contact_list(case),
        "service_referrals": service_referrals,
        "end_forms": end_forms,
        "can_engage": is_assessable(case),
        "can_assign": takes_services(case),
        "assessment_form": assessment_form(history),
        "contact_form": ContactForm(prefix="contact", formdata=None, contacted_on=local_today()),
        "exit_form": ExitForm(
            prefix="exit", formdata=None, version=case.version, closed_on=local_today()
        ),
        "details_form": details_form(case),
        "clock": intake_clock(case),
        "steps": next_steps(case),
        "domain_fields": domain_fields,
    }
    context.update({k: v for k, v in overrides.items() if k not in ("end_form", "end_form_id")})
    return context
