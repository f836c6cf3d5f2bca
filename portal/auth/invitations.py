"""Accepting an invitation: the public page of an invitation's link, where the person chooses
their password (no sign-in; the link's token is the credential, and never reaches a log)."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for

from portal.auth import bp, limits
from portal.auth.password_forms import InvitationPasswordForm
from portal.extensions import db
from portal.log_safety import INVITATION_PREFIX
from portal.passwords import RULE_HINT
from portal.services import invitations
from portal.services.errors import DomainError
from portal.services.invitations import InvitationGone
from portal.web.changes import place_error
from portal.web.errors import render_error
from portal.web.htmx import is_htmx, render

# A token is 43 characters: anything much longer is not one (and is not looked up).
MAX_TOKEN = 64


def _no_referrer(response: Response) -> Response:
    # The page's address holds the token: no request it makes (a stylesheet, the form's post,
    # a link followed) sends it on as the Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _gone(error: InvitationGone) -> Response:
    """One page for unknown, used, revoked and expired links, naming nobody."""
    body, status = render_error(410 if error.known else 404, error.message)
    return _no_referrer(Response(body, status))


def _page(form: InvitationPasswordForm, status: int = 200, error: str | None = None):
    return _no_referrer(
        render(
            "auth/invitation.html",
            block="form" if is_htmx() else None,
            status=status,
            form=form,
            error=error,
            rule_hint=RULE_HINT,
        )
    )


@bp.route(INVITATION_PREFIX + "<token>", methods=["GET", "POST"])
@limits.per_address_any
@limits.per_link
def invitation(token: str):
    """Choose a password; on success the link is used up, the account active, and the person
    signs in (setting up two-step sign-in next when it is required)."""
    try:
        if len(token) > MAX_TOKEN:
            raise InvitationGone()
        invitations.pending_invitation(token)
    except InvitationGone as gone:
        return _gone(gone)
    form = InvitationPasswordForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        invitations.accept_invitation(token, form.new_password.data)
    except InvitationGone as gone:  # used or withdrawn meanwhile (another submit won)
        db.session.rollback()
        return _gone(gone)
    except DomainError as error:
        db.session.rollback()
        return _page(form, 422, place_error(form, error))
    db.session.commit()
    flash(
        "Your password is set. Sign in with the e-mail address the invitation was sent to.",
        "success",
    )
    return _no_referrer(redirect(url_for("auth.login"), code=303))
