"""The provider pages' read queries, in the services: a session's rows and its week's counts,
the latest attendance of each referral, a participant's history with its corrections."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.clock import local_today
from portal.models import AttendanceStatus as A
from portal.models import CaseStatus, utcnow
from portal.services import attendance, referrals, sessions


@pytest.fixture
def world(f):
    service = f.ServiceFactory(by_appointment=False, capacity_max=20, capacity_available=20)
    other = f.ServiceFactory(organization=service.organization, capacity_max=20)
    admin, staff = f.admin(), f.provider(organization=service.organization)

    def participant(last_name, accept=True, on=service):
        case = f.CaseFactory(status=CaseStatus.ACTIVE, person=f.PersonFactory(last_name=last_name))
        referral = referrals.assign_service(case, on, admin)
        referral.created_at = utcnow() - dt.timedelta(days=30)
        if accept:
            referrals.accept_service_referral(referral, staff)
        return referral

    return service, other, staff, participant


def _days() -> list[dt.date]:
    """The last six local dates, today first."""
    return [local_today() - dt.timedelta(days=n) for n in range(6)]


def test_session_rows_are_the_roster_and_anyone_recorded_that_day(world):
    service, other, staff, participant = world
    days = _days()
    young = participant("Young")
    ended = participant("Adams")
    participant("Pending", accept=False)
    participant("Elsewhere", on=other)
    attendance.record_attendance(ended, days[1], A.ATTENDED, staff)
    referrals.end_service_referral(ended, staff, "Moved away")
    assert sessions.session_rows(service.id, days[1], None, 5).rows == [ended, young]  # by name
    assert sessions.session_rows(service.id, days[0], None, 5).rows == [young]
    assert sessions.session_rows(service.id, days[1], None, 5, "adam").rows == [ended]


def test_week_counts_by_service_and_day(world):
    service, other, staff, participant = world
    days = _days()
    ada, bea = participant("Ada"), participant("Bea")
    participant("Pending", accept=False)
    cy = participant("Cy", on=other)
    for referral in (ada, bea):
        attendance.record_attendance(referral, days[0], A.ATTENDED, staff)
    attendance.record_attendance(ada, days[2], A.MISSED, staff)
    attendance.record_attendance(cy, days[2], A.ATTENDED, staff)
    assert sessions.enrolled_counts([service.id, other.id]) == {service.id: 2, other.id: 1}
    assert sessions.recorded_counts([service.id, other.id], days[3], days[0]) == {
        (service.id, days[0]): 2,
        (service.id, days[2]): 1,
        (other.id, days[2]): 1,
    }
    assert sessions.recorded_counts([service.id], days[1], days[1]) == {}
    assert sessions.entries_on([ada.id, bea.id, cy.id], days[2]).keys() == {ada.id, cy.id}


def test_recent_attendance_is_the_latest_few_newest_first(world):
    _, _, staff, participant = world
    days = _days()
    ada, bea, cy = participant("Ada"), participant("Bea"), participant("Cy")
    for day in days:
        attendance.record_attendance(ada, day, A.ATTENDED, staff)
    attendance.record_attendance(bea, days[4], A.MISSED, staff)
    recent = attendance.recent_attendance([ada.id, bea.id, cy.id], 4)
    assert [a.session_date for a in recent[ada.id]] == days[:4]
    assert [a.status for a in recent[bea.id]] == [A.MISSED]
    assert cy.id not in recent
    assert attendance.recent_attendance([], 4) == {}


def test_history_has_every_entry_and_its_corrections_oldest_first(world):
    _, _, staff, participant = world
    days = _days()
    ada, bea = participant("Ada"), participant("Bea")
    older = attendance.record_attendance(ada, days[3], A.ATTENDED, staff)
    newer = attendance.record_attendance(ada, days[1], A.MISSED, staff)
    attendance.record_attendance(bea, days[0], A.ATTENDED, staff)
    attendance.correct_attendance(older, A.EXCUSED, "At the clinic", staff)
    attendance.correct_attendance(older, A.MISSED, "Clinic note was wrong", staff)
    entries, corrections = attendance.attendance_history([ada.id], None, 5)
    assert entries.rows == [newer, older] and entries.next_cursor is None
    assert [(c.old_status, c.new_status, who) for c, who in corrections[older.id]] == [
        (A.ATTENDED, A.EXCUSED, staff.name),
        (A.EXCUSED, A.MISSED, staff.name),
    ]
    assert newer.id not in corrections
    nothing, none = attendance.attendance_history([], None, 5)
    assert nothing.rows == [] and none == {}


def test_history_comes_a_page_at_a_time_newest_first(world):
    _, _, staff, participant = world
    days = _days()
    ada = participant("Ada")
    made = [attendance.record_attendance(ada, day, A.ATTENDED, staff) for day in days]
    first, _ = attendance.attendance_history([ada.id], None, 4)
    assert first.rows == made[:4] and first.first
    second, _ = attendance.attendance_history([ada.id], first.next_cursor, 4)
    assert second.rows == made[4:] and second.next_cursor is None and not second.first
