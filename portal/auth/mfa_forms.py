from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.web.forms import PortalForm


class CodeForm(PortalForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"},
    )
