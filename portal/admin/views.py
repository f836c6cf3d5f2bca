from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.admin import bp, case_sections
from portal.admin.forms import AcceptForm, DeclineForm, IntakeForm
from portal.auth.permissions import get_case_or_404
from portal.clock import local_today
from portal.extensions import db
from portal.models import Case, CaseStatus, Person
from portal.policy import case_scope
from portal.services import cases
from portal.services.errors import Conflict, DomainError
from portal.services.settings import get_settings
from portal.services.timeline import get_timeline
from portal.web.forms import choices
from portal.web.htmx import is_htmx, render, render_blocks, trigger
from portal.web.timeline import timeline_fragment


def reason_choices(reasons: list[str]):
    return choices([("", "Choose a reason"), *((r, r) for r in reasons)])


CASE_OPTIONS = (joinedload(Case.person), joinedload(Case.officer), joinedload(Case.agency))


@bp.get("/")
def queue():
    """New referrals oldest first, then accepted cases awaiting intake, by deadline."""
    base = case_scope(current_user).options(*CASE_OPTIONS)
    new = db.session.scalars(
        base.where(Case.status == CaseStatus.REFERRED).order_by(Case.referred_at, Case.id)
    ).all()
    awaiting = db.session.scalars(
        base.where(Case.status == CaseStatus.ACCEPTED).order_by(Case.intake_deadline, Case.id)
    ).all()
    return render(
        "admin/queue.html",
        block="queue",
        new=new,
        awaiting=awaiting,
        today=local_today(),
        intake_clock=cases.intake_clock,
    )


@bp.get("/cases")
def case_list():
    status = request.args.get("status") or None
    if status not in {s.value for s in CaseStatus}:
        status = None
    q = (request.args.get("q") or "").strip()[:120]
    query = (
        case_scope(current_user)
        .join(Case.person)
        .options(*CASE_OPTIONS)
        .order_by(Case.referred_at.desc(), Case.id.desc())
    )
    if status:
        query = query.where(Case.status == CaseStatus(status))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Person.first_name + " " + Person.last_name).like(like),
                func.lower(Person.aliases).like(like),
                func.lower(func.coalesce(Case.incident_number, "")).like(like),
            )
        )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render(
        "admin/cases.html",
        block="results",
        page=page,
        status_filter=status,
        q=q,
        statuses=list(CaseStatus),
    )


def _load(case_id: int) -> Case:
    return get_case_or_404(case_id, current_user, *CASE_OPTIONS)


def _forms(case: Case, **overrides):
    settings = get_settings()
    forms = {
        "accept_form": AcceptForm(formdata=None, version=case.version),
        "decline_form": DeclineForm(formdata=None, version=case.version),
        "intake_form": IntakeForm(formdata=None, version=case.version, completed_on=local_today()),
    }
    forms.update(overrides)
    forms["decline_form"].reason.choices = reason_choices(settings.exclusion_reasons)
    return forms


def _detail(
    case: Case, status: int = 200, block: str | None = None, error: str | None = None, **forms
):
    context = {
        "case": case,
        "timeline": get_timeline(case, current_user),
        "error": error,
        **case_sections.sections(case, **forms),
        **_forms(case, **forms),
    }
    if block and is_htmx():
        blocks = [block, "status_oob", "engagement_oob"]
        if status == 200:
            # The change moved the case's version: the page's other versioned forms (the
            # referral details) move with it, or their next save would be a false conflict.
            blocks.append("referral")
            context["referral_oob"] = True
        return render_blocks("admin/case_detail.html", blocks, status=status, **context)
    return render("admin/case_detail.html", status=status, **context)


@bp.get("/cases/<int:case_id>")
def case_detail(case_id: int):
    return _detail(_load(case_id))


@bp.get("/cases/<int:case_id>/timeline")
def case_timeline(case_id: int):
    return timeline_fragment(
        lambda: _load(case_id), "admin/case_detail.html", "admin.case_detail", case_id
    )


def _apply(case: Case, form, action, success: str, form_name: str):
    """Run one screening/intake action in one transaction; answer page or fragment."""
    if not form.validate_on_submit():
        return _detail(case, 422, block="workflow", error=form.hidden_errors, **{form_name: form})
    try:
        action()
    except (Conflict, StaleDataError):
        db.session.rollback()
        fresh = _load(case.id)
        return _detail(fresh, 409, block="workflow", error=cases.CONFLICT_MESSAGE)
    except DomainError as error:
        db.session.rollback()
        fresh = _load(case.id)
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
            return _detail(fresh, 422, block="workflow", **{form_name: form})
        return _detail(fresh, 422, block="workflow", error=error.message)
    db.session.commit()
    if not is_htmx():
        flash(success, "success")
        return redirect(url_for("admin.case_detail", case_id=case.id))
    response = _detail(_load(case.id), block="workflow")
    response.headers["HX-Trigger"] = "timeline-changed"
    return trigger(response, "queue-changed")


@bp.post("/cases/<int:case_id>/accept")
def accept_referral(case_id: int):
    case = _load(case_id)
    form = AcceptForm()
    return _apply(
        case,
        form,
        lambda: cases.accept_referral(
            case, current_user, form.version_number, form.note.data or ""
        ),
        "Referral accepted.",
        "accept_form",
    )


@bp.post("/cases/<int:case_id>/decline")
def decline_referral(case_id: int):
    case = _load(case_id)
    form = DeclineForm()
    form.reason.choices = reason_choices(get_settings().exclusion_reasons)
    return _apply(
        case,
        form,
        lambda: cases.decline_referral(
            case, current_user, form.reason.data, form.note.data or "", form.version_number
        ),
        "Referral declined.",
        "decline_form",
    )


@bp.post("/cases/<int:case_id>/intake")
def intake(case_id: int):
    case = _load(case_id)
    form = IntakeForm()
    return _apply(
        case,
        form,
        lambda: cases.complete_intake(
            case, current_user, form.completed_on.data, form.roi_signed.data, form.version_number
        ),
        "Intake recorded; the case is active.",
        "intake_form",
    )
