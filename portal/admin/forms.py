from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from portal.web.forms import LocalDateField, PortalForm, not_in_future

OUT_OF_DATE = "This form is out of date. Reload the page and try again."


class VersionedForm(PortalForm):
    """Carries the version of the case the person was looking at (no silent overwrite)."""

    version = HiddenField(
        validators=[
            InputRequired(OUT_OF_DATE),
            Regexp(r"^[0-9]{1,9}$", message=OUT_OF_DATE),
        ]
    )

    @property
    def hidden_errors(self) -> str | None:
        """Errors of fields the person cannot see, shown as a message above the form."""
        return " ".join(self.version.errors) or None

    @property
    def version_number(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class AcceptForm(VersionedForm):
    """Screening: accept the referral, with an optional note."""

    note = TextAreaField(
        "Screening note", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )


class DeclineForm(VersionedForm):
    """Screening: decline the referral, for one of the program's exclusion reasons."""

    reason = SelectField("Exclusion reason", validators=[DataRequired("Choose a reason.")])
    note = TextAreaField(
        "Note",
        validators=[Optional(), Length(max=2000, message="Use at most 2,000 characters.")],
        render_kw={"rows": 2},
    )


class IntakeForm(VersionedForm):
    """Intake: its date and whether the release of information was signed."""

    completed_on = LocalDateField(
        "Intake completed on",
        validators=[
            InputRequired("Enter the intake date."),
            not_in_future("The intake date cannot be in the future."),
        ],
    )
    roi_signed = BooleanField("The participant signed the release of information")
