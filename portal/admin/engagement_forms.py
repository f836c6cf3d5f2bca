"""Forms of the program office's work with an active participant (prefixed: many on one page)."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from portal.models import ContactKind, ExitReason, NeedDomain, NeedLevel
from portal.web.forms import LocalDateField, PortalForm, VersionedForm, choices, not_in_future

NOTE_LENGTH = Length(max=2000, message="Use at most 2,000 characters.")
LEVEL_CHOICES = choices([("", "Choose a level"), *((lvl.value, lvl.label) for lvl in NeedLevel)])


class _AssessmentBase(PortalForm):
    assessed_on = LocalDateField(
        "Assessed on",
        validators=[
            DataRequired("Enter the assessment date."),
            not_in_future("The assessment date cannot be in the future."),
        ],
    )
    substances = StringField(
        "Substances used",
        validators=[Optional(), Length(max=255, message="Use at most 255 characters.")],
    )
    detox_needed = BooleanField("Detox needed (the person is withdrawing or at risk of it)")


def _domain_fields() -> dict:
    fields = {}
    for domain in NeedDomain:
        fields[f"level_{domain.value}"] = SelectField(
            "Need level",
            choices=LEVEL_CHOICES,
            validators=[DataRequired(f"Choose a need level for {domain.label.lower()}.")],
        )
        fields[f"note_{domain.value}"] = TextAreaField(
            "Note", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 2}
        )
    return fields


AssessmentForm = type("AssessmentForm", (_AssessmentBase,), _domain_fields())
AssessmentForm.__doc__ = "A needs assessment: a level and a note for each of the eight domains."


def domain_fields(form) -> list[tuple[NeedDomain, object, object]]:
    """The (domain, level field, note field) triples of an assessment form, in domain order."""
    return [(d, form[f"level_{d.value}"], form[f"note_{d.value}"]) for d in NeedDomain]


def assessment_needs(form) -> dict[NeedDomain, tuple[NeedLevel, str]]:
    """The eight domains' levels and notes, as the assessment service takes them."""
    return {
        d: (NeedLevel(level.data), note.data or "")
        for d, level, note in domain_fields(form)
        if level.data
    }


class ContactForm(PortalForm):
    """A case-manager contact or outreach attempt."""

    contacted_on = LocalDateField(
        "Date",
        validators=[
            DataRequired("Enter the date of the contact."),
            not_in_future("The contact date cannot be in the future."),
        ],
    )
    kind = RadioField(
        "Kind of contact",
        choices=choices((k.value, k.label) for k in ContactKind),
        validators=[InputRequired("Choose the kind of contact.")],
    )
    note = TextAreaField("Note", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 2})


class EndServiceForm(PortalForm):
    """Ending a service early, with the reason."""

    reason = StringField(
        "Reason the service ended",
        validators=[
            DataRequired("Give the reason the service ended."),
            Length(max=255, message="Use at most 255 characters."),
        ],
    )


class DeclineStepDownForm(PortalForm):
    """Declining a step-down the provider named at discharge, with the reason."""

    reason = StringField(
        "Reason the step-down is declined",
        validators=[
            DataRequired("Give the reason the step-down is declined."),
            Length(max=500, message="Use at most 500 characters."),
        ],
    )


class CompleteServiceForm(PortalForm):
    """A bare POST button, with CSRF."""


# The office records these exits itself; a confirmed non-compliance comes only from the
# compliance review.
OFFICE_EXIT_REASONS = [r for r in ExitReason if r != ExitReason.NON_COMPLIANT_CONFIRMED]


class ExitForm(VersionedForm):
    """The participant's exit: a coded reason (which decides completed or withdrawn), on a date,
    with a note (required for "other")."""

    reason = SelectField(
        "Reason for the exit",
        choices=choices(
            [("", "Choose a reason"), *((r.value, r.label) for r in OFFICE_EXIT_REASONS)]
        ),
        validate_choice=False,
        validators=[
            DataRequired("Choose the reason for the exit."),
            AnyOf([r.value for r in OFFICE_EXIT_REASONS], "Choose one of the listed reasons."),
        ],
    )
    closed_on = LocalDateField(
        "Exit date",
        validators=[
            DataRequired("Enter the exit date."),
            not_in_future("The exit date cannot be in the future."),
        ],
    )
    note = TextAreaField(
        "Note",
        validators=[Optional(), NOTE_LENGTH],
        render_kw={"rows": 2},
    )


class CaseDetailsForm(VersionedForm):
    """The referral's details as the office corrects them, from the version it saw."""

    incident_number = StringField(
        "Incident number", validators=[Optional(), Length(max=40, message="At most 40 characters.")]
    )
    offences = TextAreaField(
        "Offence(s)", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 2}
    )
    statutes = TextAreaField(
        "Statute(s)", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 2}
    )
    location = StringField(
        "Location", validators=[Optional(), Length(max=255, message="At most 255 characters.")]
    )
    notes = TextAreaField(
        "Officer's notes", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 3}
    )
    phone = StringField(
        "Person's phone", validators=[Optional(), Length(max=40, message="At most 40 characters.")]
    )
    aliases = StringField(
        "Aliases (comma-separated)",
        validators=[Optional(), Length(max=500, message="At most 500 characters.")],
    )
