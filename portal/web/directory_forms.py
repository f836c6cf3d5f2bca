"""Form pieces for a service's schedule and capacity, shared by admins and provider staff."""

from __future__ import annotations

from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, SelectField, TimeField
from wtforms.validators import NumberRange, Optional

from portal.models import Service
from portal.models.directory import WEEKDAYS
from portal.services.directory import MAX_CAPACITY, ScheduleRow
from portal.web.forms import PortalForm, choices

SCHEDULE_ROWS = 4


class WholeNumberField(IntegerField):
    """A number input with a plain-language message for text that is not a whole number."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number, for example 12.") from error


class PlainTimeField(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a time, for example 13:00.") from error


class ScheduleRowForm(Form):
    """One weekly session; a row left without a day and times is unused."""

    weekday = SelectField(
        "Day", choices=choices([("", "No session"), *enumerate(WEEKDAYS)]), default=""
    )
    opens_at = PlainTimeField("Opens at", validators=[Optional()])
    closes_at = PlainTimeField("Closes at", validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return not self.weekday.data and not self.opens_at.data and not self.closes_at.data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid or self.is_blank:
            return valid
        if not self.weekday.data:
            self.weekday.errors.append("Choose the day of this session.")
        if not self.opens_at.data:
            self.opens_at.errors.append("Enter the opening time.")
        if not self.closes_at.data:
            self.closes_at.errors.append("Enter the closing time.")
        elif self.opens_at.data and self.closes_at.data <= self.opens_at.data:
            self.closes_at.errors.append("The closing time must be after the opening time.")
        return not self.errors


class PlacesAsked:
    """Marks the maximum places as asked (no "optional" beside it) without refusing it empty
    here: a drop-in service has none, and the directory service, which knows the kind, asks
    every other service for it beside this field."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class AvailabilityForm(PortalForm):
    """Schedule (weekly sessions or by appointment) and capacity of one service."""

    by_appointment = BooleanField("By appointment (no weekly sessions)")
    schedule = FieldList(
        FormField(ScheduleRowForm), min_entries=SCHEDULE_ROWS, max_entries=SCHEDULE_ROWS
    )
    capacity_max = WholeNumberField(
        "Maximum places",
        validators=[
            PlacesAsked(),
            Optional(),
            NumberRange(0, MAX_CAPACITY, f"Enter a number from 0 to {MAX_CAPACITY:,}."),
        ],
    )
    capacity_available = WholeNumberField(
        "Places available now",
        validators=[
            Optional(),
            NumberRange(0, MAX_CAPACITY, f"Enter a number from 0 to {MAX_CAPACITY:,}."),
        ],
    )

    def schedule_rows(self) -> list[ScheduleRow]:
        """The filled-in sessions, remembering which row each came from (for messages)."""
        self._row_entries = [i for i, e in enumerate(self.schedule.entries) if not e.form.is_blank]
        return [
            ScheduleRow(
                weekday=int(entry.form.weekday.data),
                opens_at=entry.form.opens_at.data,
                closes_at=entry.form.closes_at.data,
            )
            for entry in self.schedule.entries
            if not entry.form.is_blank
        ]

    def availability(self) -> dict:
        """The keyword arguments the directory services take for schedule and capacity."""
        return {
            "by_appointment": self.by_appointment.data,
            "schedule": self.schedule_rows(),
            "capacity_max": self.capacity_max.data,
            "capacity_available": self.capacity_available.data,
        }

    def schedule_errors(self) -> list[str]:
        """Messages about the schedule as a whole (not about one row)."""
        return [e for e in self.schedule.errors if isinstance(e, str)]

    def field_for(self, path: str):
        if not path.startswith("schedule."):
            return getattr(self, path, None)
        _, index, name = path.split(".")
        entries = getattr(self, "_row_entries", None) or range(len(self.schedule.entries))
        entry = self.schedule.entries[list(entries)[int(index)]]
        return getattr(entry.form, name, None)


def schedule_data(service: Service) -> list[dict]:
    """A service's sessions as form data for the schedule rows."""
    return [
        {"weekday": str(s.weekday), "opens_at": s.opens_at, "closes_at": s.closes_at}
        for s in service.schedules
    ]
