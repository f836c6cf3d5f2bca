from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from portal.models import AttendanceStatus, DeclineReason
from portal.web.forms import LocalDateField, PortalForm, choices, not_in_future

FUTURE = "Attendance cannot be recorded for a date in the future."
OUT_OF_DATE = "This form is out of date. Reload the page and try again."


class DeclineForm(PortalForm):
    reason = SelectField(
        "Reason",
        choices=choices([("", "Choose a reason"), *((r.value, r.label) for r in DeclineReason)]),
        validators=[DataRequired("Choose a reason.")],
    )
    note = TextAreaField(
        "Note",
        validators=[Optional(), Length(max=2000, message="Use at most 2,000 characters.")],
        render_kw={"rows": 2},
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends the note's own validators when it is empty, so the rule lives here.
        if self.reason.data == DeclineReason.OTHER.value and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, "Say why in the note when the reason is Other."]
            return False
        return valid


STATUS_CHOICES = choices((s.value, s.label) for s in AttendanceStatus)


class AttendanceForm(PortalForm):
    status = SelectField(
        "Attendance", choices=STATUS_CHOICES, validators=[InputRequired("Choose a status.")]
    )


class CorrectionForm(PortalForm):
    status = RadioField(
        "Correct to", choices=STATUS_CHOICES, validators=[InputRequired("Choose the right status.")]
    )
    reason = TextAreaField(
        "Reason for the correction",
        validators=[
            DataRequired("Give the reason for the correction."),
            Length(max=500, message="Use at most 500 characters."),
        ],
        render_kw={"rows": 2},
    )
    # The version of the entry the person was looking at: a correction applies only to it.
    version = HiddenField(
        validators=[InputRequired(OUT_OF_DATE), Regexp(r"^[0-9]{1,9}$", message=OUT_OF_DATE)]
    )

    @property
    def version_number(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class SessionPickForm(PortalForm):
    """Choose a service and a date to log attendance for (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    service_id = SelectField("Service", validators=[InputRequired("Choose a service.")])
    session_date = LocalDateField(
        "Session date", validators=[DataRequired("Enter the date."), not_in_future(FUTURE)]
    )
