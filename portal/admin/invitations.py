"""Inviting users by e-mail: the invitation form, resending and revoking a link."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.manage import affiliation_choices, back_to, get_or_404, user_page_failed
from portal.admin.manage_forms import ActionForm, InviteForm
from portal.auth.permissions import allowed_for
from portal.auth.reauth import fresh_auth_required
from portal.models import INVITATION_LIFETIME, User
from portal.services import accounts, invitations
from portal.web.changes import save_page
from portal.web.htmx import render

HOURS = int(INVITATION_LIFETIME.total_seconds() // 3600)
ACTIONS = {
    "resend": (
        invitations.resend_invitation,
        "A new invitation was sent to {name}; the earlier link no longer works.",
    ),
    "revoke": (
        invitations.revoke_invitation,
        "The invitation of {name} was withdrawn; its link no longer works.",
    ),
}


def _page(form: InviteForm, error: str | None = None):
    return render("admin/user_form.html", form=form, user=None, invite=True, error=error)


@bp.route("/users/invite", methods=["GET", "POST"])
@allowed_for(policy.can_manage_users)
@fresh_auth_required(methods=["POST"])
def user_invite():
    """Invite a person by e-mail: the user is created inactive, and the e-mail's link (valid
    72 hours, once) lets them choose their password."""
    form = InviteForm()
    affiliation_choices(form)
    if request.method == "GET":
        return _page(form)

    def failed(error):
        affiliation_choices(form)
        return _page(form, error)

    return save_page(
        form,
        lambda: accounts.invite_user(current_user, **form.values()),
        failed,
        f"Invitation sent. The link works once, for {HOURS} hours.",
        lambda _invitation: url_for("admin.users"),
    )


@bp.post("/users/<int:user_id>/invitation/<any(resend, revoke):action>")
@allowed_for(policy.can_manage_users)
def user_invitation(user_id: int, action: str):
    """Resend (a new link; the old one stops working) or revoke a user's invitation."""
    user = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service, message = ACTIONS[action]
    return save_page(
        None,
        lambda: service(current_user, user),
        user_page_failed(user_id),
        message.format(name=user.name),
        lambda _: back_to(url_for("admin.users")),
    )
