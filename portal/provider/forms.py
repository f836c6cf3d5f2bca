from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.models import (
    MAX_DAILY_VISITORS,
    AttemptMethod,
    AttendanceStatus,
    DeclineReason,
    DischargeOutcome,
)
from portal.web.directory_forms import WholeNumberField
from portal.web.forms import (
    CheckboxListField,
    LocalDateField,
    PortalForm,
    VersionedForm,
    as_id,
    choices,
    not_in_future,
)

FUTURE = "Attendance cannot be recorded for a date in the future."


class DeclineForm(PortalForm):
    """Decline a service referral: a reason, and a note (required when the reason is Other)."""

    reason = SelectField(
        "Reason",
        # "Could not reach" closes a referral after recorded attempts, from the packet.
        choices=choices(
            [
                ("", "Choose a reason"),
                *((r.value, r.label) for r in DeclineReason if r != DeclineReason.COULD_NOT_REACH),
            ]
        ),
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
    """One tap: the attendance status of one participant at one session."""

    status = SelectField(
        "Attendance", choices=STATUS_CHOICES, validators=[InputRequired("Choose a status.")]
    )


class CorrectionForm(VersionedForm):
    """Correct a recorded entry: only the version the person saw (the hidden `version`)."""

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


class SessionPickForm(PortalForm):
    """Choose a service and a date to log attendance for (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    service_id = SelectField("Service", validators=[InputRequired("Choose a service.")])
    session_date = LocalDateField(
        "Session date", validators=[DataRequired("Enter the date."), not_in_future(FUTURE)]
    )


VISIT_FUTURE = "Visits cannot be recorded for a date in the future."


class NamedVisitForm(PortalForm):
    """A participant who walked in: the name and date of birth they gave at the door."""

    first_name = StringField(
        "First name",
        validators=[DataRequired("Enter the first name the person gave."), Length(max=120)],
    )
    last_name = StringField(
        "Last name",
        validators=[DataRequired("Enter the last name the person gave."), Length(max=120)],
    )
    dob = LocalDateField(
        "Date of birth", validators=[DataRequired("Enter the person's date of birth.")]
    )


class VisitorCountForm(PortalForm):
    """The day's anonymous visitors: one number, replaced when entered again."""

    visitors = WholeNumberField(
        "Anonymous visitors this day",
        validators=[
            InputRequired(f"Enter a number of visitors from 0 to {MAX_DAILY_VISITORS}."),
            NumberRange(
                0,
                MAX_DAILY_VISITORS,
                f"Enter a number of visitors from 0 to {MAX_DAILY_VISITORS}.",
            ),
        ],
    )


class AttemptForm(PortalForm):
    """One attempt to reach a referred participant: when, how, and a short note."""

    attempted_on = LocalDateField(
        "Date of the attempt",
        validators=[
            DataRequired("Enter the date of the attempt."),
            not_in_future("An attempt cannot be recorded for a date in the future."),
        ],
    )
    method = RadioField(
        "How",
        choices=choices((m.value, m.label) for m in AttemptMethod),
        validators=[InputRequired("Choose how you tried to reach the person.")],
    )
    note = StringField(
        "Note",
        validators=[Optional(), Length(max=500, message="Use at most 500 characters.")],
    )


class AdmitForm(PortalForm):
    """Admit a participant to an episode: the date, and each admission criterion confirmed."""

    admitted_on = LocalDateField(
        "Date of admission", validators=[InputRequired("Enter the date of admission.")]
    )
    criteria = CheckboxListField("Admission criteria", choices=[])

    def confirmed(self) -> set[int]:
        """The indexes of the criteria ticked."""
        return {int(v) for v in self.criteria.data or [] if str(v).isdigit()}


OUTCOME_CHOICES = choices((o.value, o.label) for o in DischargeOutcome)


class DischargeForm(PortalForm):
    """Discharge an admitted participant: date, outcome, the step-down service, a note."""

    discharged_on = LocalDateField(
        "Date of discharge", validators=[InputRequired("Enter the date of discharge.")]
    )
    outcome = RadioField(
        "Outcome",
        choices=OUTCOME_CHOICES,
        validators=[InputRequired("Choose the outcome of the discharge.")],
    )
    step_down_service_id = SelectField("Step-down service (for a step-down)", validate_choice=False)
    note = TextAreaField(
        "Note",
        validators=[Optional(), Length(max=2000, message="Use at most 2,000 characters.")],
        render_kw={"rows": 2},
    )

    def step_down_id(self) -> int | None:
        return as_id(self.step_down_service_id.data)
