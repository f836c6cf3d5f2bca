"""Forms of the evaluation's records: arrests and citations, monthly status, demographics."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, RadioField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from portal.models import (
    MAX_JAIL_DAYS,
    Employment,
    Ethnicity,
    Gender,
    Housing,
    Income,
    JusticeEventKind,
    OffenceLevel,
    Race,
)
from portal.web.forms import LocalDateField, PortalForm, choices, not_in_future


def _options(enum_cls, blank: str | None = None):
    pairs = [(m.value, m.label) for m in enum_cls]
    return choices([("", blank), *pairs] if blank is not None else pairs)


class ArrestReportForm(PortalForm):
    """What an officer reports of a new arrest or citation: status-level, no narrative."""

    occurred_on = LocalDateField(
        "Date",
        validators=[
            DataRequired("Enter the date of the arrest or citation."),
            not_in_future("The date cannot be in the future."),
        ],
    )
    kind = RadioField(
        "Arrest or citation",
        choices=_options(JusticeEventKind),
        validators=[InputRequired("Choose arrest or citation.")],
    )
    offence_level = RadioField(
        "Most serious offence",
        choices=_options(OffenceLevel),
        validators=[InputRequired("Choose the level of the most serious offence.")],
    )
    booked = BooleanField("Booked into jail")


class JusticeEventForm(ArrestReportForm):
    """An arrest or citation the office records, with the jail stay and the agency."""

    jail_days = IntegerField(
        "Days in jail",
        default=0,
        validators=[
            Optional(),
            NumberRange(0, MAX_JAIL_DAYS, f"Enter the days in jail, from 0 to {MAX_JAIL_DAYS:,}."),
        ],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_JAIL_DAYS},
    )
    agency_id = SelectField("Agency", choices=[], validate_choice=False)


class MonthlyStatusForm(PortalForm):
    """One month of an active participant's situation."""

    month = SelectField("Month", choices=[], validators=[DataRequired("Choose the month.")])
    housing = RadioField(
        "Housing",
        choices=_options(Housing),
        validators=[InputRequired("Choose where the participant is living.")],
    )
    employment = RadioField(
        "Employment",
        choices=_options(Employment),
        validators=[InputRequired("Choose the participant's employment.")],
    )
    income = SelectField(
        "Income from every source",
        choices=_options(Income, "Choose a band"),
        validators=[DataRequired("Choose the participant's monthly income.")],
    )
    benefits = BooleanField("Receives benefits (SNAP, Medicaid, SSI or SSDI, TANF, ...)")


NOT_ASKED = "Not asked yet"


class DemographicsForm(PortalForm):
    """The person's own answers; each optional, "declined to answer" is an answer."""

    race = SelectField("Race", choices=_options(Race, NOT_ASKED))
    ethnicity = SelectField("Ethnicity", choices=_options(Ethnicity, NOT_ASKED))
    gender = SelectField("Gender", choices=_options(Gender, NOT_ASKED))
