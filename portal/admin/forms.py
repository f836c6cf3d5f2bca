from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from portal.models import OFFICE_REFERRAL_TYPES
from portal.officer.forms import ReferralForm
from portal.services.cases import SOURCE_CONTACT_LENGTH, SOURCE_NAME_LENGTH, SOURCE_NOTE_LENGTH
from portal.web.forms import LocalDateField, PortalForm, VersionedForm, choices, not_in_future


class AcceptForm(VersionedForm):
    """Screening: accept the referral, with an optional note."""

    note = TextAreaField(
        "Screening note", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    # Shown only when the person has another open referral: accepting this one too is a decision.
    confirm_duplicate = BooleanField(
        "Accept anyway: this referral stands beside the person's other open referral"
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


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


class OfficeReferralForm(ReferralForm):
    """A referral that came to the program office (from the community, a family, the person, or
    by phone), entered by a case manager with its source."""

    referral_type = RadioField(
        "Referral type",
        choices=choices((t.value, t.label) for t in OFFICE_REFERRAL_TYPES),
        validators=[DataRequired("Choose the referral type.")],
    )
    source_name = StringField(
        "Who referred the person",
        validators=[
            DataRequired("Enter who referred the person."),
            _at_most(SOURCE_NAME_LENGTH),
        ],
        render_kw={"autocomplete": "off"},
    )
    source_contact = StringField(
        "How to reach them",
        validators=[
            Optional(),
            _at_most(SOURCE_CONTACT_LENGTH),
        ],
        render_kw={"autocomplete": "off"},
    )
    source_note = TextAreaField(
        "About the source",
        validators=[
            Optional(),
            _at_most(SOURCE_NOTE_LENGTH),
        ],
        render_kw={"rows": 2},
    )


class PersonMergeForm(PortalForm):
    """Merge a possible match into this person's record, or confirm or undo a merge: the
    record's state is checked by the service (a repeated or stale submission is refused)."""


class AssignServiceForm(PortalForm):
    """Assign a matched service, with why (the provider reads it in the referral packet)."""

    note = StringField(
        "Why this service",
        validators=[Optional(), Length(max=500, message="Say why in at most 500 characters.")],
    )
