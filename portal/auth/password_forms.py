"""The forms of the self-service password change and of accepting an invitation."""

from __future__ import annotations

from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from portal.web.forms import PortalForm


class PasswordChangeForm(PortalForm):
    """Current password, then the new one twice (its rule is the service's to apply)."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired("Enter a new password.")],
        render_kw={"autocomplete": "new-password"},
    )
    new_password_confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired("Repeat the new password."),
            EqualTo("new_password", "The two passwords do not match."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class InvitationPasswordForm(PasswordChangeForm):
    """The password chosen from an invitation's link: the new one twice (the same fields and
    messages as a password change), no current one."""

    current_password = None
