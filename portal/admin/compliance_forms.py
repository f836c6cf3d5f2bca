"""Forms of the compliance review and of the program's rules."""

from __future__ import annotations

from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.models import RuleCode
from portal.services.compliance import PARAMETER_MAX, PARAMETER_MIN
from portal.services.compliance_review import REASON_MAX
from portal.web.directory_forms import WholeNumberField
from portal.web.forms import PortalForm, VersionedForm

PARAMETER_MESSAGE = f"Enter a whole number from {PARAMETER_MIN} to {PARAMETER_MAX}."
PARAMETER_LABELS = {
    RuleCode.NO_CONTACT: "Days without a contact or attendance",
    RuleCode.MISSED_SESSIONS: "Unexcused misses in a row",
}


class DismissForm(VersionedForm):
    """No action on a flag: the reason is kept with it."""

    reason = TextAreaField(
        "Reason for dismissing",
        validators=[
            DataRequired("Give the reason for dismissing this flag."),
            Length(max=REASON_MAX, message=f"Use at most {REASON_MAX:,} characters."),
        ],
        render_kw={"rows": 2},
    )


class ConfirmForm(VersionedForm):
    """Confirming a flag: a button carrying the version of the flag reviewed."""


class RuleForm(PortalForm):
    """A rule without a parameter (the intake deadline): on or off."""

    enabled = BooleanField("Raise flags for this rule")
    parameter = None  # each case's own deadline


class CountedRuleForm(RuleForm):
    """A rule with its N: on or off, and N from 1 to 365."""

    parameter = WholeNumberField(
        "N",
        validators=[
            InputRequired(PARAMETER_MESSAGE),
            NumberRange(PARAMETER_MIN, PARAMETER_MAX, PARAMETER_MESSAGE),
        ],
    )


def rule_form(code: RuleCode, submitted: bool = False, **data) -> RuleForm:
    """The form of one rule, prefixed with its code (several on one page), labelled for it:
    as submitted, or blank with `data`."""
    form_class = CountedRuleForm if code.takes_parameter else RuleForm
    if submitted:
        form = form_class(prefix=code.value)
    else:
        form = form_class(prefix=code.value, formdata=None, **data)
    if form.parameter is not None:
        form.parameter.label.text = PARAMETER_LABELS[code]
    return form
