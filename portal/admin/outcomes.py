"""A participant's evaluation records on one page: their demographics, their arrests and
citations before and after enrollment (of every referral of the person), and this case's monthly
status, prompted once a month with the last month's answers as the suggestion."""

from __future__ import annotations

import datetime as dt

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import policy
from portal.admin import bp
from portal.admin.case_page import load_case
from portal.auth.permissions import allowed_for
from portal.clock import local_date, local_today
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    Employment,
    Ethnicity,
    Gender,
    Housing,
    Income,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    OffenceLevel,
    Race,
)
from portal.services import outcomes
from portal.services.paging import Key, keyset_page
from portal.web.changes import save_page
from portal.web.forms import as_id, choices
from portal.web.htmx import render
from portal.web.outcome_forms import DemographicsForm, JusticeEventForm, MonthlyStatusForm

PAGE = "admin/outcomes.html"
EVENT_KEYS = [Key(JusticeEvent.occurred_on, dt.date, True), Key(JusticeEvent.id, int, True)]
STATUS_KEYS = [Key(MonthlyStatus.month, dt.date, True)]
MONTHS_OFFERED = 24  # a status is recorded for this month or one of the 23 before it
AGENCY_CHOICES = 100  # agencies offered, by name (the chosen one always among them)


def month_choices(case: Case) -> list[dt.date]:
    """Months a status may be recorded for: since intake, this month first, at most 24."""
    if case.intake_completed_on is None:
        return []
    month = outcomes.first_of_month(local_today())
    start = outcomes.first_of_month(case.intake_completed_on)
    months = []
    while month >= start and len(months) < MONTHS_OFFERED:
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def status_form(case: Case, form: MonthlyStatusForm | None = None) -> MonthlyStatusForm:
    """Blank, for the month due (or this month), with the last month's answers suggested."""
    if form is None:
        latest = outcomes.latest_status(case)
        data = {"month": outcomes.first_of_month(local_today()).isoformat()}
        if latest is not None:
            data |= {
                "housing": latest.housing.value,
                "employment": latest.employment.value,
                "income": latest.income.value,
                "benefits": latest.benefits,
            }
        form = MonthlyStatusForm(prefix="status", formdata=None, data=data)
    form.month.choices = choices((m.isoformat(), f"{m:%B %Y}") for m in month_choices(case))
    return form


def event_form(form: JusticeEventForm | None = None) -> JusticeEventForm:
    """The event form, offering active agencies by name (the chosen one kept)."""
    if form is None:
        form = JusticeEventForm(prefix="event", formdata=None)
    chosen = as_id(form.agency_id.data)
    query = select(Agency).where(Agency.active)
    order = [Agency.name, Agency.id]
    if chosen:
        query = select(Agency).where(Agency.active | (Agency.id == chosen))
        order.insert(0, (Agency.id == chosen).desc())
    agencies = db.session.scalars(query.order_by(*order).limit(AGENCY_CHOICES)).all()
    form.agency_id.choices = choices(
        [("", "Another agency, or not known"), *((a.id, a.name) for a in agencies)]
    )
    return form


def demographics_form(case: Case) -> DemographicsForm:
    person = case.person
    return DemographicsForm(
        prefix="person",
        formdata=None,
        race=person.race.value if person.race else "",
        ethnicity=person.ethnicity.value if person.ethnicity else "",
        gender=person.gender.value if person.gender else "",
    )


def _page(case: Case, error: str | None = None, **forms):
    size = current_app.config["PAGE_SIZE"]
    events = keyset_page(
        select(JusticeEvent).where(JusticeEvent.person_id == case.person_id),
        EVENT_KEYS,
        request.args.get("events"),
        size,
    )
    agencies = {
        a.id: a
        for a in db.session.scalars(
            select(Agency).where(Agency.id.in_({e.agency_id for e in events.rows if e.agency_id}))
        )
    }
    statuses = keyset_page(
        select(MonthlyStatus).where(MonthlyStatus.case_id == case.id),
        STATUS_KEYS,
        request.args.get("months"),
        size,
    )
    enrolled_on = case.intake_completed_on
    return render(
        PAGE,
        case=case,
        person=case.person,
        error=error,
        events=events,
        agencies=agencies,
        describe_event=outcomes.describe_event,
        after_enrollment=lambda e: enrolled_on is not None and e.occurred_on >= enrolled_on,
        statuses=statuses,
        due=outcomes.status_due(case),
        can_record_status=bool(month_choices(case)),
        age_at_referral=outcomes.age_on(case.person.dob, local_date(case.referred_at)),
        demographics_form=forms.get("demographics_form") or demographics_form(case),
        event_form=event_form(forms.get("event_form")),
        status_form=status_form(case, forms.get("status_form")),
    )


@bp.get("/cases/<int:case_id>/outcomes")
@allowed_for(policy.can_manage_case)
def case_outcomes(case_id: int):
    """The participant's evaluation records."""
    return _page(load_case(case_id))


def _save(case_id: int, form, key: str, change, success: str, anchor: str):
    return save_page(
        form,
        change,
        lambda error: _page(load_case(case_id), error, **{key: form}),
        success,
        lambda _: url_for("admin.case_outcomes", case_id=case_id, _anchor=anchor),
    )


def _enum_or_none(enum_cls, value):
    return enum_cls(value) if value else None


@bp.post("/cases/<int:case_id>/outcomes/demographics")
@allowed_for(policy.can_manage_case)
def save_demographics(case_id: int):
    """The person's race, ethnicity and gender, as they answered (or declined to)."""
    case = load_case(case_id)
    form = DemographicsForm(prefix="person")
    return _save(
        case_id,
        form,
        "demographics_form",
        lambda: outcomes.update_demographics(
            current_user,
            case.person,
            _enum_or_none(Race, form.race.data),
            _enum_or_none(Ethnicity, form.ethnicity.data),
            _enum_or_none(Gender, form.gender.data),
        ),
        "Demographics saved.",
        "demographics",
    )


@bp.post("/cases/<int:case_id>/outcomes/events")
@allowed_for(policy.can_manage_case)
def record_justice_event(case_id: int):
    """An arrest or citation of the person, before or after enrollment."""
    case = load_case(case_id)
    form = event_form(JusticeEventForm(prefix="event"))
    return _save(
        case_id,
        form,
        "event_form",
        lambda: outcomes.record_justice_event(
            current_user,
            case.person,
            outcomes.JusticeEventData(
                form.occurred_on.data,
                JusticeEventKind(form.kind.data),
                OffenceLevel(form.offence_level.data),
                form.booked.data,
                form.jail_days.data or 0,
                as_id(form.agency_id.data),
            ),
        ),
        "Arrest or citation recorded.",
        "events",
    )


@bp.post("/cases/<int:case_id>/outcomes/monthly")
@allowed_for(policy.can_manage_case)
def record_monthly_status(case_id: int):
    """One month's housing, employment, income and benefits."""
    case = load_case(case_id)
    form = status_form(case, MonthlyStatusForm(prefix="status"))
    return _save(
        case_id,
        form,
        "status_form",
        lambda: outcomes.record_monthly_status(
            current_user,
            case,
            outcomes.StatusData(
                dt.date.fromisoformat(form.month.data),
                Housing(form.housing.data),
                Employment(form.employment.data),
                Income(form.income.data),
                form.benefits.data,
            ),
        ),
        "Monthly status recorded.",
        "monthly",
    )
