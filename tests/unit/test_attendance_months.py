"""attendance_months, the dashboard's sessions attended per case per month, is kept by the
database from attendance itself: every insert, correction, move and delete of an attended
session, whoever writes it (the portal's services, a factory, plain SQL); the migration counts
in the sessions already there, and its downgrade leaves attendance writable."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, inspect, select, text, update

from portal.extensions import db
from portal.models import Attendance, AttendanceMonth, AttendanceStatus, ServiceReferral, User
from portal.services.attendance import correct_attendance, record_attendance
from tests import factories
from tests.unit.test_episode_migration import _attended, _organization, _referral, _service
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture

DAY = dt.date(2026, 11, 5)
BEFORE = "bx2b3c4d5e6f"
AFTER = "ar1a2b3c4d5e"


def _kept() -> dict[tuple[int, str], int]:
    """What the triggers keep, zeros left out."""
    rows = db.session.execute(
        select(AttendanceMonth.case_id, AttendanceMonth.month, AttendanceMonth.attended).where(
            AttendanceMonth.attended != 0
        )
    ).all()
    return {(c, str(m)[:7]): n for c, m, n in rows}


def _counted() -> dict[tuple[int, str], int]:
    """The same counted from attendance, row by row, in Python."""
    found: dict[tuple[int, str], int] = {}
    rows = db.session.execute(
        select(ServiceReferral.case_id, Attendance.session_date, Attendance.status).join(
            ServiceReferral, ServiceReferral.id == Attendance.service_referral_id
        )
    ).all()
    for case_id, day, status in rows:
        if status == AttendanceStatus.ATTENDED:
            key = (case_id, str(day)[:7])
            found[key] = found.get(key, 0) + 1
    return found


def test_each_write_of_an_attended_session_moves_its_months_count(f):
    referral = f.ServiceReferralFactory(accepted=True)
    referral.created_at = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
    second = f.ServiceReferralFactory(accepted=True, case=referral.case)
    second.created_at = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
    other = f.ServiceReferralFactory(accepted=True)
    db.session.flush()
    case = referral.case_id
    staff = db.session.get(User, referral.decided_by_id)

    first = record_attendance(referral, DAY, AttendanceStatus.ATTENDED, staff)
    record_attendance(referral, DAY + dt.timedelta(days=7), AttendanceStatus.ATTENDED, staff)
    record_attendance(referral, dt.date(2026, 10, 31), AttendanceStatus.ATTENDED, staff)
    missed = record_attendance(
        referral, DAY + dt.timedelta(days=14), AttendanceStatus.MISSED, staff
    )
    # Two services of one case, one month: one row, both counted.
    f.AttendanceFactory(service_referral=second, session_date=DAY)
    f.AttendanceFactory(service_referral=other, session_date=DAY, status=AttendanceStatus.EXCUSED)
    db.session.flush()
    assert _kept() == {(case, "2026-11"): 3, (case, "2026-10"): 1} == _counted()

    correct_attendance(first, AttendanceStatus.MISSED, "Marked in error", staff)
    correct_attendance(missed, AttendanceStatus.ATTENDED, "Came late", staff)
    assert _kept() == {(case, "2026-11"): 3, (case, "2026-10"): 1} == _counted()
    correct_attendance(missed, AttendanceStatus.CANCELLED, "Session cancelled", staff)
    assert _kept() == {(case, "2026-11"): 2, (case, "2026-10"): 1} == _counted()

    # Moved to another month, or written in plain SQL: the database keeps count all the same.
    db.session.execute(
        update(Attendance)
        .where(Attendance.service_referral_id == second.id)
        .values(session_date=dt.date(2026, 12, 1))
    )
    db.session.execute(
        update(Attendance)
        .where(Attendance.service_referral_id == other.id)
        .values(status=AttendanceStatus.ATTENDED)
    )
    expected = {
        (case, "2026-11"): 1,
        (case, "2026-10"): 1,
        (case, "2026-12"): 1,
        (other.case_id, "2026-11"): 1,
    }
    assert _kept() == expected == _counted()
    db.session.execute(delete(Attendance).where(Attendance.session_date == dt.date(2026, 10, 31)))
    del expected[(case, "2026-10")]
    assert _kept() == expected == _counted()


def test_a_case_deleted_takes_its_months_with_it(f):
    referral = f.ServiceReferralFactory(accepted=True)
    f.AttendanceFactory(service_referral=referral)
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(AttendanceMonth)) == 1
    db.session.execute(delete(ServiceReferral).where(ServiceReferral.id == referral.id))
    db.session.execute(
        text("DELETE FROM timeline_entries WHERE case_id = :c"), {"c": referral.case_id}
    )
    db.session.execute(text("DELETE FROM cases WHERE id = :c"), {"c": referral.case_id})
    assert db.session.scalar(select(func.count()).select_from(AttendanceMonth)) == 0


def test_the_migration_counts_in_what_is_there_and_its_downgrade_leaves_attendance_writable(
    fresh_app,  # noqa: F811
):
    upgrade(revision=BEFORE)
    organization = _organization()
    staff = factories.UserFactory(provider=True, organization=organization)
    first, second = factories.CaseFactory(active=True), factories.CaseFactory(active=True)
    db.session.commit()
    staff, first, second = (SimpleNamespace(id=o.id) for o in (staff, first, second))
    db.session.remove()
    with db.engine.begin() as connection:
        _service(connection, 1, "Counselling", "scheduled")
        _referral(connection, 1, first.id, 1, "accepted", staff.id)
        _referral(connection, 2, second.id, 1, "accepted", staff.id)
        _attended(connection, 1, DAY, "attended", staff.id)
        _attended(connection, 1, DAY + dt.timedelta(days=7), "attended", staff.id)
        _attended(connection, 1, DAY + dt.timedelta(days=14), "missed", staff.id)
        _attended(connection, 1, dt.date(2026, 12, 3), "attended", staff.id)
        _attended(connection, 2, DAY, "excused", staff.id)
    upgrade(revision=AFTER)
    rows = "SELECT case_id, month, attended FROM attendance_months ORDER BY case_id, month"
    with db.engine.begin() as connection:
        found = [(c, str(m)[:10], n) for c, m, n in connection.execute(text(rows))]
        assert found == [(first.id, "2026-11-01", 2), (first.id, "2026-12-01", 1)]
        _attended(connection, 2, DAY + dt.timedelta(days=1), "attended", staff.id)
    with db.engine.connect() as connection:
        found = [(c, str(m)[:10], n) for c, m, n in connection.execute(text(rows))]
        assert (second.id, "2026-11-01", 1) in found
    downgrade(revision=BEFORE)
    assert "attendance_months" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as connection:  # no trigger left behind to write to a missing table
        _attended(connection, 2, DAY + dt.timedelta(days=2), "attended", staff.id)
        connection.execute(text("UPDATE attendance SET status = 'missed'"))
        connection.execute(text("DELETE FROM attendance"))
    upgrade(revision=AFTER)
