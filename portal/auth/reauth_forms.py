from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.web.forms import PortalForm


class ReauthForm(PortalForm):
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    # Asked for (and required by the view) only when the user has an authenticator.
    code = StringField(
        "Code",
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"},
    )
