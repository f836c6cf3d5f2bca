"""The evaluation's records: a case manager records arrests and citations, monthly status and
demographics on a participant's Outcomes page; the referring officer reports a new arrest; none of
it reaches an officer's timeline or a provider."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Employment,
    EventSource,
    Housing,
    Income,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    OffenceLevel,
    Person,
    Race,
    TimelineEntry,
    TimelineKind,
)
from portal.services import outcomes
from portal.services.errors import NotPermitted, ValidationFailed
from portal.services.timeline import get_timeline
from tests.conftest import post


@pytest.fixture
def me(f, login_as):
    user = f.case_manager(name="Casey Mine")
    login_as(user)
    return user


def _event(**kw) -> dict:
    data = {
        "event-occurred_on": (local_today() - dt.timedelta(days=3)).isoformat(),
        "event-kind": "arrest",
        "event-offence_level": "misdemeanor",
        "event-booked": "y",
        "event-jail_days": "2",
        "event-agency_id": "",
    }
    data.update({f"event-{k}": v for k, v in kw.items()})
    return {k: v for k, v in data.items() if v is not None}


def _events(person_id: int) -> list[JusticeEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(JusticeEvent).where(JusticeEvent.person_id == person_id)))


def _entries(case, kind) -> list[TimelineEntry]:
    return list(
        db.session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.case_id == case.id, TimelineEntry.kind == kind
            )
        )
    )


# --- arrests and citations ---------------------------------------------------------------------


def test_a_case_manager_records_an_arrest_with_its_timeline_entry_and_audit_row(client, me, f):
    case = f.CaseFactory(active=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    data = _event(agency_id=str(case.agency_id))
    response = post(client, f"{url}/events", data, page=url)
    assert response.status_code == 302, response.get_data(as_text=True)
    [event] = _events(case.person_id)
    assert (event.kind, event.offence_level, event.booked, event.jail_days) == (
        JusticeEventKind.ARREST,
        OffenceLevel.MISDEMEANOR,
        True,
        2,
    )
    assert event.source == EventSource.OFFICE and event.recorded_by_id == me.id
    assert event.case_id == case.id and event.agency_id == case.agency_id
    [entry] = _entries(case, TimelineKind.JUSTICE_EVENT_RECORDED)
    assert entry.payload["summary"].startswith("Arrest, misdemeanor, booked, 2 jail days")
    assert db.session.scalar(
        select(func.count()).where(
            AuditEvent.object_type == "justice_events", AuditEvent.action == AuditAction.CREATE
        )
    )
    page = client.get(url).get_data(as_text=True)
    assert "Arrest, misdemeanor, booked, 2 jail days" in page
    assert "After" in page  # three days ago: after the intake of 86 days ago


def test_the_same_event_sent_twice_is_recorded_once(client, me, f):
    case = f.CaseFactory(active=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    for _ in range(2):
        assert post(client, f"{url}/events", _event(), page=url).status_code == 302
    assert len(_events(case.person_id)) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"occurred_on": "2999-01-01"}, "occurred_on", "cannot be in the future"),
        ({"occurred_on": "1900-01-01"}, "occurred_on", "before the person&#39;s date of birth"),
        ({"jail_days": "-1"}, "jail_days", "from 0 to 3,650"),
        ({"jail_days": "99999"}, "jail_days", "from 0 to 3,650"),
        ({"jail_days": "lots"}, "jail_days", "Not a valid integer"),
        ({"booked": None, "jail_days": "3"}, "jail_days", "follow a booking"),
        ({"kind": "citation"}, "booked", "A citation is not a booking"),
        ({"kind": "parking"}, "kind", "Not a valid choice"),
        ({"offence_level": None}, "offence_level", "Choose the level"),
        ({"agency_id": "999999"}, "agency_id", "Choose an agency from the list"),
    ],
)
def test_bad_events_are_refused_beside_the_field_and_nothing_is_saved(
    client, me, f, change, field, message
):
    case = f.CaseFactory(active=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    response = post(client, f"{url}/events", _event(**change), page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="event-{field}-error"' in html, html
    assert message in html
    assert _events(case.person_id) == []
    assert _entries(case, TimelineKind.JUSTICE_EVENT_RECORDED) == []


def test_events_of_every_referral_of_the_person_are_listed_before_and_after_enrollment(
    client, me, f
):
    person = f.PersonFactory(dob=dt.date(1980, 5, 1))
    earlier = f.CaseFactory(person=person, completed=True)
    case = f.CaseFactory(person=person, active=True)
    db.session.commit()
    outcomes._record_event(
        me,
        person,
        earlier,
        outcomes.JusticeEventData(
            dt.date(2020, 3, 1), JusticeEventKind.CITATION, OffenceLevel.VIOLATION, False, 0, None
        ),
        EventSource.OFFICE,
    )
    db.session.commit()
    page = client.get(f"/admin/cases/{case.id}/outcomes").get_data(as_text=True)
    assert "Citation, violation or infraction" in page
    assert "Before" in page


def test_the_list_of_events_is_paged(client, me, f, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    case = f.CaseFactory(active=True)
    db.session.commit()
    for days in range(5):
        outcomes.record_justice_event(
            me,
            case.person,
            outcomes.JusticeEventData(
                local_today() - dt.timedelta(days=days + 1),
                JusticeEventKind.ARREST,
                OffenceLevel.FELONY,
                False,
                0,
                None,
            ),
        )
    db.session.commit()
    page = client.get(f"/admin/cases/{case.id}/outcomes").get_data(as_text=True)
    assert page.count("Arrest, felony") == 2
    assert "Pages of arrests and citations" in page


# --- monthly status ------------------------------------------------------------------------------


def _status(**kw) -> dict:
    data = {
        "status-month": local_today().replace(day=1).isoformat(),
        "status-housing": "shelter",
        "status-employment": "unemployed",
        "status-income": "under_500",
        "status-benefits": "y",
    }
    data.update({f"status-{k}": v for k, v in kw.items()})
    return {k: v for k, v in data.items() if v is not None}


def _statuses(case) -> list[MonthlyStatus]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(MonthlyStatus)
            .where(MonthlyStatus.case_id == case.id)
            .order_by(MonthlyStatus.month)
        )
    )


def test_the_month_due_is_prompted_then_recorded_then_suggested_next_month(client, me, f):
    case = f.CaseFactory(active=True)
    db.session.commit()
    case_page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert 'id="status-due-badge"' in case_page
    url = f"/admin/cases/{case.id}/outcomes"
    assert 'id="status-due"' in client.get(url).get_data(as_text=True)
    last_month = (local_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    response = post(client, f"{url}/monthly", _status(month=last_month.isoformat()), page=url)
    assert response.status_code == 302
    [row] = _statuses(case)
    assert (row.month, row.housing, row.employment, row.income, row.benefits) == (
        last_month,
        Housing.SHELTER,
        Employment.UNEMPLOYED,
        Income.UNDER_500,
        True,
    )
    page = client.get(url).get_data(as_text=True)
    # This month is still due; last month's answers are the suggestion.
    assert 'id="status-due"' in page
    assert re.search(r'<input checked[^>]*value="shelter"', page)
    response = post(client, f"{url}/monthly", _status(housing="transitional"), page=url)
    assert response.status_code == 302
    assert [s.housing for s in _statuses(case)] == [Housing.SHELTER, Housing.TRANSITIONAL]
    assert 'id="status-due-badge"' not in client.get(f"/admin/cases/{case.id}").get_data(
        as_text=True
    )
    assert len(_entries(case, TimelineKind.MONTHLY_STATUS_RECORDED)) == 2


def test_a_month_recorded_again_is_corrected_not_doubled(client, me, f):
    case = f.CaseFactory(active=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    post(client, f"{url}/monthly", _status(), page=url)
    post(client, f"{url}/monthly", _status(), page=url)  # the same again: nothing changes
    post(client, f"{url}/monthly", _status(employment="part_time"), page=url)
    [row] = _statuses(case)
    assert row.employment == Employment.PART_TIME
    entries = _entries(case, TimelineKind.MONTHLY_STATUS_RECORDED)
    assert len(entries) == 2 and entries[-1].payload["note"] == "Corrected"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"month": "2999-01-01"}, "month"),  # not offered: the future
        ({"month": "2001-01-01"}, "month"),  # not offered: before intake
        ({"month": "soon"}, "month"),
        ({"housing": None}, "housing"),
        ({"housing": "castle"}, "housing"),
        ({"income": ""}, "income"),
    ],
)
def test_bad_monthly_status_is_refused(client, me, f, change, field):
    case = f.CaseFactory(active=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    response = post(client, f"{url}/monthly", _status(**change), page=url)
    assert response.status_code == 422
    assert f'id="status-{field}-error"' in response.get_data(as_text=True)
    assert _statuses(case) == []


def test_the_service_refuses_a_month_before_intake_or_in_the_future(f):
    case = f.CaseFactory(active=True)
    staff = f.case_manager()
    db.session.commit()
    data = {
        "housing": Housing.PERMANENT,
        "employment": Employment.FULL_TIME,
        "income": Income.FROM_2000,
        "benefits": False,
    }
    for month, words in [
        (local_today() + dt.timedelta(days=40), "cannot be in the future"),
        (case.intake_completed_on - dt.timedelta(days=40), "before the participant's intake"),
    ]:
        with pytest.raises(ValidationFailed, match=words):
            outcomes.record_monthly_status(staff, case, outcomes.StatusData(month, **data))


def test_no_monthly_status_before_intake(client, me, f):
    case = f.CaseFactory(accepted=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    page = client.get(url).get_data(as_text=True)
    assert "recorded once the participant is enrolled" in page
    assert 'id="status-due-badge"' not in client.get(f"/admin/cases/{case.id}").get_data(
        as_text=True
    )
    assert post(client, f"{url}/monthly", _status(), page=url).status_code == 422
    assert _statuses(case) == []


# --- demographics --------------------------------------------------------------------------------


def test_demographics_are_saved_declined_or_cleared_and_audited(client, me, f):
    case = f.CaseFactory(active=True)
    db.session.commit()
    url = f"/admin/cases/{case.id}/outcomes"
    data = {"person-race": "declined", "person-ethnicity": "hispanic_latino", "person-gender": ""}
    assert post(client, f"{url}/demographics", data, page=url).status_code == 302
    db.session.expire_all()
    person = db.session.get(Person, case.person_id)
    assert (person.race, person.ethnicity.value, person.gender) == (
        Race.DECLINED,
        "hispanic_latino",
        None,
    )
    assert db.session.scalar(
        select(func.count()).where(
            AuditEvent.object_type == "persons",
            AuditEvent.object_id == person.id,
            AuditEvent.action == AuditAction.CHANGE,
        )
    )
    bad = {"person-race": "martian", "person-ethnicity": "", "person-gender": ""}
    response = post(client, f"{url}/demographics", bad, page=url)
    assert response.status_code == 422
    assert 'id="person-race-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, case.person_id).race == Race.DECLINED


def test_age_at_referral_is_shown(client, me, f):
    today = local_today()
    person = f.PersonFactory(dob=today.replace(year=today.year - 40) - dt.timedelta(days=200))
    case = f.CaseFactory(person=person, active=True)
    db.session.commit()
    assert outcomes.age_on(dt.date(2000, 3, 1), dt.date(2030, 2, 28)) == 29
    assert outcomes.age_on(dt.date(2000, 3, 1), dt.date(2030, 3, 1)) == 30
    page = client.get(f"/admin/cases/{case.id}/outcomes").get_data(as_text=True)
    assert "(age 39)" in page or "(age 40)" in page


# --- the officer ---------------------------------------------------------------------------------


def _report(**kw) -> dict:
    data = {
        "arrest-occurred_on": local_today().isoformat(),
        "arrest-kind": "arrest",
        "arrest-offence_level": "felony",
        "arrest-booked": "y",
    }
    data.update({f"arrest-{k}": v for k, v in kw.items()})
    return {k: v for k, v in data.items() if v is not None}


def test_the_referring_officer_reports_a_new_arrest_and_sees_nothing_back(client, f, login_as):
    case = f.CaseFactory(active=True)
    db.session.commit()
    login_as(case.officer)
    url = f"/officer/referrals/{case.id}"
    assert "Report a new arrest or citation" in client.get(url).get_data(as_text=True)
    response = post(client, f"{url}/arrests", _report(jail_days="30", agency_id="1"), page=url)
    assert response.status_code == 302
    [event] = _events(case.person_id)
    assert event.source == EventSource.OFFICER
    assert event.agency_id == case.officer.agency_id  # their own agency, whatever was sent
    assert event.jail_days == 0  # the office records the stay
    page = client.get(url).get_data(as_text=True)
    assert "Arrest reported to the program office" in page
    assert "Arrest or citation recorded" not in page
    assert "Arrest, felony" not in page and "Arrests and citations" not in page
    officer_kinds = {e.kind for e in get_timeline(case, case.officer).entries}
    assert TimelineKind.JUSTICE_EVENT_RECORDED not in officer_kinds


def test_an_officer_reports_only_after_the_referral_and_only_their_own(client, f, login_as):
    case = f.CaseFactory(active=True)
    other = f.officer(agency_id=case.agency_id)
    db.session.commit()
    login_as(case.officer)
    url = f"/officer/referrals/{case.id}"
    early = (local_today() - dt.timedelta(days=200)).isoformat()
    response = post(client, f"{url}/arrests", _report(occurred_on=early), page=url)
    assert response.status_code == 422
    assert "on or after the day you made this referral" in response.get_data(as_text=True)
    assert _events(case.person_id) == []
    with pytest.raises(NotPermitted):
        outcomes.report_arrest(
            other,
            case,
            outcomes.JusticeEventData(
                local_today(), JusticeEventKind.ARREST, OffenceLevel.FELONY, False, 0, None
            ),
        )


def test_the_report_form_is_only_on_the_referring_officers_page(client, f, login_as):
    case = f.CaseFactory(active=True)
    db.session.commit()
    staff = f.case_manager()
    db.session.commit()
    login_as(staff)
    page = client.get(f"/admin/cases/{case.id}/outcomes").get_data(as_text=True)
    assert "Record an arrest or citation" in page


def test_providers_and_other_officers_get_nothing(client, f, login_as):
    case = f.CaseFactory(active=True)
    db.session.commit()
    stranger = f.officer()
    db.session.commit()
    login_as(stranger)
    assert client.get(f"/admin/cases/{case.id}/outcomes").status_code in (403, 404)
    url = f"/officer/referrals/{case.id}"
    assert post(client, f"{url}/arrests", _report(), page="/officer/referrals").status_code == 404
    assert _events(case.person_id) == []
