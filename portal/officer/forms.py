from __future__ import annotations

import uuid

from wtforms import HiddenField, RadioField, StringField, TelField, TextAreaField, TimeField
from wtforms.validators import UUID, DataRequired, InputRequired, Length, Optional, ValidationError

from portal.models import OFFICER_REFERRAL_TYPES
from portal.web.forms import (
    CheckboxListField,
    LocalDateField,
    PortalForm,
    choices,
    not_before,
    not_in_future,
)

NAME = [DataRequired("Enter a name."), Length(max=120, message="Use at most 120 characters.")]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


OUT_OF_DATE = "This form was out of date: check the entries below and send it again."


def new_submission_key() -> str:
    return str(uuid.uuid4())


def _canonical_uuid(value):
    """One spelling per key (case, braces, hyphens), so two spellings cannot make two cases."""
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError):
        return value


class ReferralForm(PortalForm):
    """A referral an officer can complete on a phone, on the street."""

    class Meta:
        # Strip surrounding spaces from every text field, so "   " counts as empty.
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if unbound_field.field_class in (StringField, TextAreaField, TelField):
                unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)

    first_name = StringField(
        "First name", validators=NAME, render_kw={"autocomplete": "off", "autocapitalize": "words"}
    )
    last_name = StringField(
        "Last name", validators=NAME, render_kw={"autocomplete": "off", "autocapitalize": "words"}
    )
    aliases = StringField(
        "Aliases or street names",
        validators=[Optional(), Length(max=500, message="Use at most 500 characters.")],
        render_kw={"autocomplete": "off"},
    )
    dob = LocalDateField(
        "Date of birth",
        validators=[
            # InputRequired, not DataRequired: a malformed date keeps its own message.
            InputRequired("Enter the date of birth."),
            not_in_future("The date of birth cannot be in the future."),
            not_before(1900, "The date of birth cannot be before 1900."),
        ],
        render_kw={"autocomplete": "off"},
    )
    phone = TelField(
        "Phone number for the program to reach them",
        validators=[Optional(), Length(max=40, message="Use at most 40 characters.")],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    referral_type = RadioField(
        "Referral type",
        choices=choices((t.value, t.label) for t in OFFICER_REFERRAL_TYPES),
        validators=[DataRequired("Choose the referral type.")],
    )
    incident_number = StringField(
        "Incident or report number",
        validators=[Optional(), Length(max=40, message="Use at most 40 characters.")],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    offences = TextAreaField(
        "Offence(s)",
        validators=[Optional(), Length(max=2000, message="Use at most 2,000 characters.")],
        render_kw={"rows": 2},
    )
    statutes = StringField(
        "Statute(s)",
        validators=[Optional(), Length(max=500, message="Use at most 500 characters.")],
        render_kw={"autocomplete": "off"},
    )
    occurred_on = LocalDateField(
        "Date of contact",
        validators=[Optional(), not_in_future("The date of contact cannot be in the future.")],
    )
    occurred_time = TimeField("Time of contact", validators=[Optional()])
    location = StringField(
        "Location",
        validators=[Optional(), Length(max=255, message="Use at most 255 characters.")],
        render_kw={"autocomplete": "off"},
    )
    eligibility = CheckboxListField("Eligibility checklist", choices=[])
    notes = TextAreaField(
        "Notes for the program",
        validators=[Optional(), Length(max=4000, message="Use at most 4,000 characters.")],
        render_kw={"rows": 3},
    )
    person_choice = RadioField("Is this the same person?", choices=[], validate_choice=False)
    # Made when the form is rendered: every arrival of one submission carries the same key, so
    # a double tap or a retry makes one case (see cases.refer_person).
    submission_key = HiddenField(
        default=new_submission_key,
        filters=[_canonical_uuid],
        validators=[InputRequired(OUT_OF_DATE), UUID(OUT_OF_DATE)],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.submission_key.errors:
            # The refused form goes back with a usable key, so sending it again works.
            self.submission_key.data = new_submission_key()
        return valid

    def validate_occurred_time(self, field):
        if field.data and not self.occurred_on.data:
            raise ValidationError("Enter the date of contact as well as the time.")

    def validate_person_choice(self, field):
        allowed = {c.value for c in field.choices}
        if allowed and field.data and field.data not in allowed:
            raise ValidationError("Choose one of the listed records, or a new record.")
