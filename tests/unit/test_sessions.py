"""Sessions computed from weekly schedules, in the program's local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from portal.models import ServiceSchedule, ServiceStatus
from portal.services import sessions

NY = ZoneInfo("America/New_York")
WED = dt.date(2026, 3, 4)  # a Wednesday


def _weekly(f, weekday=2, opens=(13, 0), closes=(15, 0), **kw):
    service = f.ServiceFactory(by_appointment=False, **kw)
    service.schedules.append(
        ServiceSchedule(weekday=weekday, opens_at=dt.time(*opens), closes_at=dt.time(*closes))
    )
    return service


def test_week_of_runs_monday_to_sunday():
    assert sessions.week_of(WED) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert sessions.week_of(dt.date(2026, 3, 8)) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))


def test_organization_sessions_for_a_week_in_time_order(f):
    clinic = _weekly(f, name="Clinic", weekday=2)
    clinic.schedules.append(ServiceSchedule(weekday=0, opens_at=dt.time(9), closes_at=dt.time(11)))
    org = clinic.organization
    _weekly(f, name="Group", weekday=2, opens=(10, 0), closes=(11, 0), organization=org)
    f.ServiceFactory(name="Appointments", organization=org, by_appointment=True)
    _weekly(f, name="Closed", weekday=1, organization=org, status=ServiceStatus.TEMPORARILY_CLOSED)
    _weekly(f, name="Elsewhere", weekday=3)  # another organisation
    found = sessions.organization_sessions(org.id, dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert [(s.service_name, s.date, s.opens_at) for s in found] == [
        ("Clinic", dt.date(2026, 3, 2), dt.time(9)),
        ("Group", WED, dt.time(10)),
        ("Clinic", WED, dt.time(13)),
    ]
    assert found[2].starts_at == dt.datetime(2026, 3, 4, 13, tzinfo=NY)
    assert sessions.organization_sessions(None, WED, WED) == []


def test_sessions_over_two_weeks_repeat_weekly(f):
    clinic = _weekly(f)
    found = sessions.sessions_between([clinic], dt.date(2026, 3, 1), dt.date(2026, 3, 14))
    assert [s.date for s in found] == [WED, dt.date(2026, 3, 11)]


def test_next_session_counts_a_session_still_running_and_rolls_to_next_week(f):
    clinic = _weekly(f)
    monday = dt.datetime(2026, 3, 2, 8, tzinfo=NY)
    assert sessions.next_session(clinic, monday).date == WED
    running = dt.datetime(2026, 3, 4, 14, 30, tzinfo=NY)
    assert sessions.next_session(clinic, running).date == WED
    over = dt.datetime(2026, 3, 4, 15, 0, tzinfo=NY)
    assert sessions.next_session(clinic, over).date == dt.date(2026, 3, 11)
    # a UTC instant is read in local time: 19:30 UTC is 14:30 in New York on that day
    assert sessions.next_session(clinic, dt.datetime(2026, 3, 4, 19, 30, tzinfo=dt.UTC)).date == WED


def test_next_session_defaults_to_local_now(f):
    clinic = _weekly(f)
    # 02:00 UTC Thursday is still Wednesday 21:00 in New York: that session is over
    with time_machine.travel(dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC), tick=False):
        assert sessions.next_session(clinic).date == dt.date(2026, 3, 11)


def test_by_appointment_and_closed_services_have_no_sessions(f):
    appointments = f.ServiceFactory(by_appointment=True)
    assert sessions.next_session(appointments) is None
    assert not sessions.is_session_day(appointments, WED)
    closed = _weekly(f, status=ServiceStatus.INACTIVE)
    assert sessions.next_session(closed) is None
    open_one = _weekly(f)
    assert sessions.is_session_day(open_one, WED)
    assert not sessions.is_session_day(open_one, dt.date(2026, 3, 5))
