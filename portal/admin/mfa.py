"""Administrators reset a user's two-step sign-in (a lost phone): the user sets it up again."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from portal import policy
from portal.admin import bp
from portal.admin.manage import get_or_404, user_page_failed
from portal.admin.manage_forms import ActionForm
from portal.auth.permissions import allowed_for
from portal.auth.reauth import fresh_auth_required
from portal.models import User
from portal.services import mfa
from portal.web.changes import save_page


@bp.post("/users/<int:user_id>/mfa-reset")
@allowed_for(policy.can_manage_users)
@fresh_auth_required
def user_mfa_reset(user_id: int):
    """Remove the user's authenticator and recovery codes; their sessions end (audited)."""
    user = get_or_404(User, user_id)
    return save_page(
        ActionForm(),
        lambda: mfa.reset_mfa(current_user, user),
        user_page_failed(user_id),
        f"Two-step sign-in reset for {user.name}: they set it up again when they next sign in.",
        lambda _: url_for("admin.user_edit", user_id=user_id),
    )
