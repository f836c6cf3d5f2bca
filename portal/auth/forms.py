from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from portal.web.forms import PortalForm


class LoginForm(PortalForm):
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email address."), Email(), Length(max=255)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class EmptyForm(PortalForm):
    """A bare form: gives POST-only buttons their CSRF token."""
