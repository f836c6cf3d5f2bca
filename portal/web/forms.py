"""Form pieces shared by every role."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import DateField, FieldList, FormField, HiddenField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Regexp, ValidationError

from portal.clock import local_today
from portal.web.guards import (
    MAX_ID,
    has_forbidden_characters,
    in_int_range,
    without_forbidden_characters,
)

CONTROL_CHARACTERS = (
    "This holds invisible control or text-direction characters that cannot be saved. Retype it."
)
TOO_LARGE = "Enter a smaller number."


def _leaves(fields):
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field.entries)
        else:
            yield field


def _refuse_hostile(field) -> None:
    """Put a message beside a field given control characters or a number out of range.

    The field keeps its data without those characters, so nothing that reads it before
    validation (a duplicate search, say) sends them to the database; the form cannot validate.
    """
    multiline = isinstance(field.widget, widgets.TextArea)
    raw = [v for v in field.raw_data or [] if isinstance(v, str)]
    if any(has_forbidden_characters(v, multiline) for v in raw):
        field.process_errors.append(CONTROL_CHARACTERS)
        if isinstance(field.data, str):
            field.data = without_forbidden_characters(field.data, multiline)
        elif isinstance(field.data, list):
            field.data = [
                without_forbidden_characters(v, multiline) if isinstance(v, str) else v
                for v in field.data
            ]
    if type(field.data) is int and not in_int_range(field.data):
        field.process_errors.append(TOO_LARGE)
        field.data = None


class PortalForm(FlaskForm):
    """The base of every form: form encodings only, and no control characters in any field."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            # Flask-WTF would read a JSON body as form data, and a file in place of a text:
            # neither is a form the portal serves (the request guards answer 415 and 400).
            if formdata is _Auto:
                return (
                    request.form
                    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.form
                    else None
                )
            return formdata

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        for field in _leaves(self):
            _refuse_hostile(field)


OUT_OF_DATE = "This form is out of date. Reload the page and try again."


class VersionedForm(PortalForm):
    """Carries the version of the record the person was looking at: a change applies only to
    that version (no silent overwrite)."""

    version = HiddenField(
        validators=[InputRequired(OUT_OF_DATE), Regexp(r"^[0-9]{1,9}$", message=OUT_OF_DATE)]
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


def as_id(value) -> int | None:
    """The id a select sent, or None when it is none (empty, not a number, out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


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
