"""Form pieces shared by every role."""

from __future__ import annotations

import datetime as dt

from wtforms import DateField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from portal.clock import local_today


def choices(pairs) -> list[SelectChoice]:
    """Select/radio/checkbox options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class CheckboxListField(SelectMultipleField):
    """A list of checkboxes (for example the eligibility checklist)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        # Unknown values are dropped by the service; an empty list is allowed.
        values = {c.value for c in self.choices}
        if any(str(d) not in values for d in self.data or []):
            raise ValidationError("Choose from the listed items only.")


class LocalDateField(DateField):
    """An <input type=date> with a plain-language message for a malformed date."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("type", "date")
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real date, for example 2026-03-31.") from error


def not_in_future(message: str = "The date cannot be in the future."):
    def check(form, field):
        if field.data and field.data > local_today():
            raise ValidationError(message)

    return check


def not_before(year: int, message: str):
    def check(form, field):
        if field.data and field.data < dt.date(year, 1, 1):
            raise ValidationError(message)

    return check
