"""The program office's work with a participant: assessments, contacts, services, exit, edits."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.case_page import load_case, load_service_referral, referral_section, section
from portal.admin.case_sections import end_form
from portal.admin.engagement_forms import (
    AssessmentForm,
    CaseDetailsForm,
    CompleteServiceForm,
    ContactForm,
    ExitForm,
    assessment_needs,
)
from portal.admin.views import change_workflow
from portal.auth.permissions import allowed_for
from portal.models import ContactKind, ExitReason
from portal.services import assessments, cases, referrals
from portal.services.case_details import CaseDetails, differences, update_case_details
from portal.web.changes import answer, run_change


def change_section(
    case_id: int,
    form,
    form_key: str,
    block: str,
    change,
    success: str,
    events: tuple[str, ...] = ("timeline-changed",),
    **extra,
):
    """Assessments, contacts and services: run the change and answer its section (with
    `events` for the rest of the page: by default, the timeline has a new entry)."""

    def refused(status: int, error: str | None):
        overrides = {form_key: form, f"{block}_error": error, **extra}
        return section(load_case(case_id), block, status, **overrides)

    def done(_):
        return answer(
            success,
            url_for("admin.case_detail", case_id=case_id, _anchor=block),
            lambda: section(load_case(case_id), block, **{f"{block}_message": success}),
            *events,
        )

    return run_change(form, change, refused=refused, done=done)


@bp.post("/cases/<int:case_id>/assessments")
@allowed_for(policy.can_manage_case)
def record_assessment(case_id: int):
    """A needs assessment of all eight domains."""
    case = load_case(case_id)
    form = AssessmentForm(prefix="assess")
    return change_section(
        case_id,
        form,
        "assessment_form",
        "assessment",
        lambda: assessments.record_assessment(
            case,
            current_user,
            form.assessed_on.data,
            form.substances.data or "",
            form.detox_needed.data,
            assessment_needs(form),
        ),
        "Needs assessment recorded.",
    )


@bp.post("/cases/<int:case_id>/contacts")
@allowed_for(policy.can_manage_case)
def record_contact(case_id: int):
    """A case-manager contact or outreach attempt."""
    case = load_case(case_id)
    form = ContactForm(prefix="contact")
    return change_section(
        case_id,
        form,
        "contact_form",
        "contacts",
        lambda: assessments.record_contact(
            case,
            current_user,
            form.contacted_on.data,
            ContactKind(form.kind.data),
            form.note.data or "",
        ),
        "Contact recorded.",
    )


@bp.post("/cases/<int:case_id>/service-referrals/<int:referral_id>/complete")
@allowed_for(policy.can_manage_case)
def complete_service(case_id: int, referral_id: int):
    """The participant finished a service; its place is released."""
    case = load_case(case_id)
    referral = load_service_referral(case, referral_id)
    return change_section(
        case_id,
        CompleteServiceForm(prefix="complete"),
        "complete_form",
        "service_referrals",
        lambda: referrals.complete_service_referral(referral, current_user),
        "Service marked completed; the place is released.",
    )


@bp.post("/cases/<int:case_id>/service-referrals/<int:referral_id>/end")
@allowed_for(policy.can_manage_case)
def end_service(case_id: int, referral_id: int):
    """A service ended early, for a reason; its place is released."""
    case = load_case(case_id)
    referral = load_service_referral(case, referral_id)
    form = end_form(referral_id, submitted=True)
    return change_section(
        case_id,
        form,
        "end_form",
        "service_referrals",
        lambda: referrals.end_service_referral(referral, current_user, form.reason.data or ""),
        "Service ended; the place is released.",
        end_form_id=referral_id,
    )


@bp.post("/cases/<int:case_id>/exit")
@allowed_for(policy.can_manage_case)
def exit_case(case_id: int):
    """The participant completed the program or withdrew, for a coded reason."""
    case = load_case(case_id)
    form = ExitForm(prefix="exit")

    def close():
        reason = ExitReason(form.reason.data)
        return cases.close_case(
            case,
            current_user,
            reason.status,
            form.closed_on.data,
            reason,
            form.note.data or "",
            form.version_number,
        )

    return change_workflow(
        case_id,
        form,
        "exit_form",
        close,
        "The participant's exit is recorded.",
    )


def _details_of(form: CaseDetailsForm) -> CaseDetails:
    return CaseDetails(**{k: (getattr(form, k).data or "") for k in CaseDetails.__annotations__})


@bp.post("/cases/<int:case_id>/details")
@allowed_for(policy.can_manage_case)
def edit_details(case_id: int):
    """Edit the referral's details from the version the editor saw; a conflict shows the
    fields someone else changed meanwhile."""
    case = load_case(case_id)
    form = CaseDetailsForm(prefix="details")
    wanted = _details_of(form)

    def refused(status: int, error: str | None):
        return referral_section(load_case(case_id), status, details_form=form, details_error=error)

    def conflict(_):
        fresh = load_case(case_id)
        form.version.data = str(fresh.version)
        differ = differences(CaseDetails.of(fresh, fresh.person), wanted)
        return referral_section(
            fresh, 409, details_form=form, details_conflict=differ, details_open=True
        )

    def done(changed: list[str]):
        message = "Referral details saved." if changed else "Nothing was changed."
        events = ["timeline-changed"] if changed else []
        return answer(
            message,
            url_for("admin.case_detail", case_id=case_id),
            lambda: referral_section(
                load_case(case_id), details_message=message, moved=bool(changed)
            ),
            *events,
        )

    return run_change(
        form,
        lambda: update_case_details(case, case.person, current_user, wanted, form.version_number),
        refused=refused,
        done=done,
        conflict=conflict,
    )
