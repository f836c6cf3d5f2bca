"""The program office's work with a participant: assessments, contacts, services, exit, edits."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal.admin import bp
from portal.admin.case_sections import end_form, sections
from portal.admin.engagement_forms import (
    AssessmentForm,
    CaseDetailsForm,
    CompleteServiceForm,
    ContactForm,
    ExitForm,
    assessment_needs,
)
from portal.admin.views import _apply, _detail, _forms, _load
from portal.extensions import db
from portal.models import Case, CaseStatus, ContactKind, ServiceReferral
from portal.services import assessments, cases, referrals
from portal.services.case_details import CaseDetails, differences, update_case_details
from portal.services.errors import Conflict, DomainError
from portal.web.htmx import is_htmx, render_blocks, trigger

SECTIONS = "admin/case_engagement.html"


def _section(case: Case, block: str, status: int = 200, **overrides):
    """The changed section for htmx; the whole case page otherwise (a 422 without JS)."""
    if not is_htmx():
        return _detail(case, status, **overrides)
    context = {"case": case, **sections(case, **overrides)}
    return render_blocks(SECTIONS, [block], status=status, **context)


def _place_error(form, error: DomainError) -> str | None:
    """Put a service's refusal beside its field; else return it, to show above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        return error.message
    field.errors = [*field.errors, error.message]
    return None


def _mutate(case: Case, form, form_key: str, block: str, action, success: str, **extra):
    """Validate, run one service call in one transaction, answer the section (or 422)."""
    if not form.validate_on_submit():
        return _section(case, block, 422, **{form_key: form}, **extra)
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        overrides = {form_key: form, f"{block}_error": _place_error(form, error), **extra}
        return _section(_load(case.id), block, 422, **overrides)
    db.session.commit()
    if not is_htmx():
        flash(success, "success")
        return redirect(url_for("admin.case_detail", case_id=case.id, _anchor=block))
    response = _section(_load(case.id), block, **{f"{block}_message": success})
    return trigger(response, "timeline-changed")


@bp.post("/cases/<int:case_id>/assessments")
def record_assessment(case_id: int):
    case = _load(case_id)
    form = AssessmentForm(prefix="assess")
    return _mutate(
        case,
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
def record_contact(case_id: int):
    case = _load(case_id)
    form = ContactForm(prefix="contact")
    return _mutate(
        case,
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


def _referral(case: Case, referral_id: int) -> ServiceReferral:
    referral = db.session.get(ServiceReferral, referral_id)
    if referral is None or referral.case_id != case.id:
        abort(404)
    return referral


@bp.post("/cases/<int:case_id>/service-referrals/<int:referral_id>/complete")
def complete_service(case_id: int, referral_id: int):
    case = _load(case_id)
    referral = _referral(case, referral_id)
    return _mutate(
        case,
        CompleteServiceForm(prefix="complete"),
        "complete_form",
        "service_referrals",
        lambda: referrals.complete_service_referral(referral, current_user),
        "Service marked completed; the place is released.",
    )


@bp.post("/cases/<int:case_id>/service-referrals/<int:referral_id>/end")
def end_service(case_id: int, referral_id: int):
    case = _load(case_id)
    referral = _referral(case, referral_id)
    form = end_form(referral_id, submitted=True)
    return _mutate(
        case,
        form,
        "end_form",
        "service_referrals",
        lambda: referrals.end_service_referral(referral, current_user, form.reason.data or ""),
        "Service ended; the place is released.",
        end_form_id=referral_id,
    )


@bp.post("/cases/<int:case_id>/exit")
def exit_case(case_id: int):
    case = _load(case_id)
    form = ExitForm(prefix="exit")
    return _apply(
        case,
        form,
        lambda: cases.close_case(
            case,
            current_user,
            CaseStatus(form.status.data),
            form.closed_on.data,
            form.reason.data or "",
            form.version_number,
        ),
        "The participant's exit is recorded.",
        "exit_form",
    )


def _details_of(form: CaseDetailsForm) -> CaseDetails:
    return CaseDetails(**{k: (getattr(form, k).data or "") for k in CaseDetails.__annotations__})


@bp.post("/cases/<int:case_id>/details")
def edit_details(case_id: int):
    case = _load(case_id)
    form = CaseDetailsForm(prefix="details")
    if not form.validate_on_submit():
        return _referral_block(case, 422, details_form=form)
    wanted = _details_of(form)
    try:
        changed = update_case_details(case, case.person, current_user, wanted, form.version_number)
        db.session.commit()
    except (Conflict, StaleDataError):
        db.session.rollback()
        fresh = _load(case_id)
        form.version.data = str(fresh.version)
        differ = differences(CaseDetails.of(fresh, fresh.person), wanted)
        return _referral_block(
            fresh, 409, details_form=form, details_conflict=differ, details_open=True
        )
    except DomainError as error:
        db.session.rollback()
        return _referral_block(_load(case_id), 422, details_form=form, details_error=error.message)
    message = "Referral details saved." if changed else "Nothing was changed."
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("admin.case_detail", case_id=case_id))
    response = _referral_block(_load(case_id), details_message=message, moved=changed)
    return trigger(response, "timeline-changed") if changed else response


def _referral_block(case: Case, status: int = 200, moved: bool = False, **overrides):
    """The referral section for htmx (with the deadline it shows); the whole page otherwise.

    `moved`: the save moved the case's version, so the screening/intake/exit forms come too
    (out of band), carrying it.
    """
    if not is_htmx():
        return _detail(case, status, **overrides)
    context = {"case": case, "days_left": cases.days_left(case), **sections(case, **overrides)}
    blocks = ["referral"]
    if moved:
        context |= {**_forms(case), "error": None, "workflow_oob": True}
        blocks.append("workflow")
    return render_blocks("admin/case_detail.html", blocks, status=status, **context)
