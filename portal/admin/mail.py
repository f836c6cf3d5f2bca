"""Undelivered e-mail: what the senders gave up on, for the program office to put right."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.auth.forms import EmptyForm
from portal.auth.permissions import allowed_for
from portal.policy import can_view_mail_failures
from portal.services import mail
from portal.web.changes import run_change
from portal.web.htmx import render

PAGE = "admin/mail.html"


@bp.get("/mail")
@allowed_for(policy.can_view_mail_failures)
def mail_failures():
    """E-mails given up after the set number of tries, newest first (keyset-paged)."""
    if not can_view_mail_failures(current_user):
        abort(403)
    before = request.args.get("before", type=int)
    if before is not None and before <= 0:
        before = None
    page = mail.failed_mail(current_user, before, current_app.config["PAGE_SIZE"])
    return render(
        PAGE,
        page=page,
        first_page=before is None,
        max_attempts=current_app.config["MAIL_MAX_ATTEMPTS"],
        form=EmptyForm(formdata=None),
    )


@bp.post("/mail/<int:email_id>/retry")
@allowed_for(policy.can_view_mail_failures)
def retry_mail(email_id: int):
    """Send a failed e-mail again (the next `send-notifications` run tries it)."""
    if not can_view_mail_failures(current_user):
        abort(403)

    def done(retried: bool):
        if retried:
            flash(f"E-mail {email_id} will be sent again at the next run.", "success")
        else:
            flash(f"E-mail {email_id} is no longer waiting to be retried.", "info")
        return redirect(url_for("admin.mail_failures"))

    def refused(_status: int, _error: str | None):
        return redirect(url_for("admin.mail_failures"))

    return run_change(
        EmptyForm(),
        lambda: mail.retry_failed(current_user, email_id),
        refused=refused,
        done=done,
    )
