"""Drop-in visits: named (once a day, found only by the exact name and birth date given) and an
anonymous daily count (0 to the cap); never an officer's; "engaged" only with the setting on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    CaseStatus,
    DropInCount,
    DropInVisit,
    Notification,
    TimelineEntry,
    TimelineKind,
)
from portal.services import visits
from portal.services.errors import NotPermitted, ValidationFailed
from portal.services.settings import get_settings
from portal.services.timeline import get_timeline


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def clinic(f):
    service = f.drop_in_service(name="Harm Reduction Clinic")
    staff = f.provider(organization=service.organization)
    return service, staff


def _named(service, staff, case, day=None, **overrides):
    person = case.person
    given = {"first_name": person.first_name, "last_name": person.last_name, "dob": person.dob}
    return visits.record_named_visit(service, day or local_today(), staff, **{**given, **overrides})


def test_a_named_visit_is_recorded_once_with_an_entry_the_officer_never_sees(clinic, f):
    service, staff = clinic
    consent = f.ConsentFactory(discloses_attendance=True, discloses_outcome=True)
    case = consent.case
    visit, new = _named(service, staff, case, first_name=case.person.first_name.upper())
    assert new and visit.case_id == case.id
    again, new = _named(service, staff, case)
    assert not new and again.id == visit.id
    assert _count(DropInVisit) == 1
    entries = db.session.scalars(
        select(TimelineEntry).where(
            TimelineEntry.case_id == case.id, TimelineEntry.kind == TimelineKind.DROP_IN_VISIT
        )
    ).all()
    assert len(entries) == 1 and entries[0].organization_id == service.organization_id
    assert entries[0].payload["service_name"] == "Harm Reduction Clinic"
    # Not engaged by a visit alone (the setting is off), and nothing reaches the officer.
    assert _count(TimelineEntry, TimelineEntry.kind == TimelineKind.ENGAGED) == 0
    assert _count(Notification) == 0
    db.session.flush()
    db.session.refresh(case, ["consents"])
    officer_kinds = {e.kind for e in get_timeline(case, case.officer).entries}
    assert TimelineKind.DROP_IN_VISIT not in officer_kinds
    assert TimelineKind.INTAKE_COMPLETED in officer_kinds  # the officer does see the status
    staff_kinds = {e.kind for e in get_timeline(case, staff).entries}
    assert TimelineKind.DROP_IN_VISIT in staff_kinds


def test_with_the_setting_on_a_first_visit_makes_engaged_once(clinic, f):
    service, staff = clinic
    get_settings().drop_in_visits_engage = True
    case = f.CaseFactory(active=True)
    _named(service, staff, case)
    _named(service, staff, case, day=local_today() - dt.timedelta(days=7))
    engaged = TimelineEntry.kind == TimelineKind.ENGAGED
    assert _count(TimelineEntry, engaged, TimelineEntry.case_id == case.id) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"dob": dt.date(1990, 4, 29)}, "first_name", "No active participant"),
        ({"last_name": "Someone"}, "first_name", "No active participant"),
        ({"first_name": "  "}, "first_name", "Enter the first name"),
        ({"dob": None}, "dob", "date of birth"),
    ],
)
def test_a_name_that_does_not_match_exactly_finds_nobody(clinic, f, overrides, field, message):
    service, staff = clinic
    case = f.CaseFactory(active=True)
    with pytest.raises(ValidationFailed, match=message) as refused:
        _named(service, staff, case, **overrides)
    assert refused.value.field == field
    assert _count(DropInVisit) == 0


def test_only_an_active_participant_and_only_one_is_found(clinic, f):
    service, staff = clinic
    referred = f.CaseFactory()
    assert referred.status == CaseStatus.REFERRED
    with pytest.raises(ValidationFailed, match="No active participant"):
        _named(service, staff, referred)
    one = f.CaseFactory(active=True)
    f.CaseFactory(
        active=True,
        person=f.PersonFactory(first_name=one.person.first_name, dob=one.person.dob),
    )
    with pytest.raises(ValidationFailed, match="More than one active participant"):
        _named(service, staff, one)
    assert _count(DropInVisit) == 0


def test_the_anonymous_count_is_in_range_and_replaced(clinic):
    service, staff = clinic
    today = local_today()
    for bad in (-1, 501, None):
        with pytest.raises(ValidationFailed, match="from 0 to 500") as refused:
            visits.record_visitor_count(service, today, bad, staff)
        assert refused.value.field == "visitors"
    assert _count(DropInCount) == 0
    visits.record_visitor_count(service, today, 0, staff)
    visits.record_visitor_count(service, today, 500, staff)
    assert db.session.scalars(select(DropInCount.visitors)).all() == [500]


def test_refused_for_the_future_another_organisation_or_a_scheduled_service(clinic, f):
    service, staff = clinic
    case = f.CaseFactory(active=True)
    with pytest.raises(ValidationFailed, match="future"):
        _named(service, staff, case, day=local_today() + dt.timedelta(days=1))
    other = f.provider()
    with pytest.raises(NotPermitted):
        visits.record_visitor_count(service, local_today(), 3, other)
    group = f.ServiceFactory(organization=service.organization)
    with pytest.raises(ValidationFailed, match="not a drop-in service"):
        visits.record_visitor_count(group, local_today(), 3, staff)
    assert _count(DropInVisit) == 0 and _count(DropInCount) == 0
