"""Program office staff keep their own work phone: the number providers call about the
participants they manage (shown in the referral packet)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import Optional, ValidationError

from portal import policy
from portal.auth import bp
from portal.services import accounts
from portal.services.phones import MAX_LENGTH, phone_problem
from portal.web.changes import run_change
from portal.web.forms import PortalForm
from portal.web.htmx import render

PAGE = "auth/phone.html"


class WorkPhoneForm(PortalForm):
    """One's own work phone (empty: none on file)."""

    work_phone = StringField(
        "Work phone",
        validators=[Optional()],
        render_kw={"type": "tel", "autocomplete": "tel", "maxlength": MAX_LENGTH},
    )

    def validate_work_phone(self, field) -> None:
        problem = phone_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


@bp.app_context_processor
def work_phone_link():
    """Whether the header offers "Work phone" (program office staff only); asked only where
    the header reads the signed-in user (never on an outage's page)."""
    return {"keeps_work_phone": lambda: policy.can_set_own_work_phone(current_user)}


@bp.route("/account/phone", methods=["GET", "POST"])
@login_required
def work_phone():
    """The signed-in office staff member's work phone; nobody else has one to keep here."""
    if not policy.can_set_own_work_phone(current_user):
        abort(404)
    if request.method == "GET":
        form = WorkPhoneForm(formdata=None, work_phone=current_user.work_phone or "")
        return render(PAGE, form=form)
    form = WorkPhoneForm()
    user = current_user._get_current_object()

    def done(saved):
        flash(
            "Your work phone was saved." if saved.work_phone else "Work phone removed.", "success"
        )
        return redirect(url_for("auth.work_phone"))

    return run_change(
        form,
        lambda: accounts.set_own_work_phone(user, form.work_phone.data or ""),
        refused=lambda status, error: render(PAGE, block="form", status=status, form=form),
        done=done,
    )
