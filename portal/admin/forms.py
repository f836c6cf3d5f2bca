from __future__ import annotations

from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from portal.web.forms import LocalDateField, VersionedForm, not_in_future


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


class AssignForm(VersionedForm):
    """The case's case manager (empty: nobody); the choices are checked by the service, so a
    refusal says why (not a case manager, deactivated, unknown)."""

    case_manager_id = SelectField(
        "Case manager",
        validate_choice=False,
        validators=[
            Optional(),
            Regexp(r"^[1-9][0-9]{0,8}$", message="Choose a case manager from the list."),
        ],
    )


class LinkPersonForm(VersionedForm):
    """Link the referral to an earlier record of the same person (a possible match)."""

    copy_details = BooleanField("Copy this record's name, aliases and phone to the earlier one")


class KeepApartForm(VersionedForm):
    """A possible match is a different person: not offered again."""
