"""Attendance: roster and date rules, idempotent recording, corrections, group sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceCorrection,
    AttendanceStatus,
    CaseStatus,
    DeclineReason,
    TimelineEntry,
    TimelineKind,
    utcnow,
)
from portal.services import attendance, referrals
from portal.services.errors import NotPermitted, ValidationFailed


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _entries(case, kind):
    return list(
        db.session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.case_id == case.id, TimelineEntry.kind == kind)
            .order_by(TimelineEntry.id)
        )
    )


@pytest.fixture
def world(f):
    admin = f.admin()
    service = f.ServiceFactory(name="Harm reduction clinic")
    staff = f.provider(organization=service.organization)

    def participant(accept=True, to=service):
        case = f.CaseFactory(status=CaseStatus.ACTIVE)
        referral = referrals.assign_service(case, to, admin)
        referral.created_at = utcnow() - dt.timedelta(days=60)  # referred weeks ago
        if accept:
            referrals.accept_service_referral(referral, staff)
        return case, referral

    return admin, service, staff, participant


def test_record_writes_one_row_and_one_scoped_entry(world):
    _, service, staff, participant = world
    case, referral = participant()
    day = local_today() - dt.timedelta(days=1)
    row = attendance.record_attendance(referral, day, AttendanceStatus.ATTENDED, staff)
    assert (row.session_date, row.status, row.recorded_by_id) == (
        day,
        AttendanceStatus.ATTENDED,
        staff.id,
    )
    [entry] = _entries(case, TimelineKind.ATTENDANCE_RECORDED)
    assert entry.organization_id == service.organization_id
    assert entry.payload["service_name"] == "Harm reduction clinic"
    assert entry.payload["session_date"] == day.isoformat()
    assert entry.payload["status"] == "attended"


def test_today_is_allowed_the_future_is_refused(world):
    _, _, staff, participant = world
    _, referral = participant()
    attendance.record_attendance(referral, local_today(), AttendanceStatus.MISSED, staff)
    with pytest.raises(ValidationFailed, match="future") as error:
        attendance.record_attendance(
            referral, local_today() + dt.timedelta(days=1), AttendanceStatus.MISSED, staff
        )
    assert error.value.field == "session_date"
    assert _count(Attendance) == 1


def test_double_submit_records_once(world):
    _, _, staff, participant = world
    case, referral = participant()
    first = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    again = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    assert again.id == first.id
    assert _count(Attendance) == 1
    assert len(_entries(case, TimelineKind.ATTENDANCE_RECORDED)) == 1


def test_race_on_the_unique_constraint_is_the_already_recorded_case(world, monkeypatch):
    """Another request inserts between our check and our insert: the savepoint absorbs it."""
    _, _, staff, participant = world
    case, referral = participant()
    theirs = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    real_find = attendance._find
    calls = []

    def find_missing_once(referral_id, session_date):
        calls.append(1)
        return None if len(calls) == 1 else real_find(referral_id, session_date)

    monkeypatch.setattr(attendance, "_find", find_missing_once)
    mine = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    assert mine.id == theirs.id
    assert len(calls) == 2
    db.session.commit()  # the outer transaction survived the failed insert
    assert _count(Attendance) == 1
    assert len(_entries(case, TimelineKind.ATTENDANCE_RECORDED)) == 1


def test_not_on_the_roster_is_refused(world, f):
    admin, service, staff, participant = world
    _, pending = participant(accept=False)
    with pytest.raises(ValidationFailed, match="accept the referral first"):
        attendance.record_attendance(pending, local_today(), AttendanceStatus.ATTENDED, staff)
    _, declined = participant(accept=False)
    referrals.decline_service_referral(declined, staff, DeclineReason.NO_CAPACITY)
    with pytest.raises(ValidationFailed, match="no longer on the roster"):
        attendance.record_attendance(declined, local_today(), AttendanceStatus.ATTENDED, staff)
    elsewhere = f.ServiceFactory()
    other_staff = f.provider(organization=elsewhere.organization)
    _, theirs = participant(accept=False, to=elsewhere)
    referrals.accept_service_referral(theirs, other_staff)
    with pytest.raises(NotPermitted, match="not on your organisation's roster"):
        attendance.record_attendance(theirs, local_today(), AttendanceStatus.ATTENDED, staff)
    with pytest.raises(NotPermitted):
        attendance.record_attendance(theirs, local_today(), AttendanceStatus.ATTENDED, admin)
    assert _count(Attendance) == 0


def test_a_different_value_is_a_correction_that_needs_a_reason(world):
    _, _, staff, participant = world
    case, referral = participant()
    row = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    with pytest.raises(ValidationFailed, match="Already recorded as attended") as error:
        attendance.record_attendance(referral, local_today(), AttendanceStatus.MISSED, staff)
    assert error.value.field == "reason"
    assert row.status == AttendanceStatus.ATTENDED
    corrected = attendance.record_attendance(
        referral, local_today(), AttendanceStatus.MISSED, staff, reason="Marked the wrong person"
    )
    assert corrected.id == row.id and corrected.status == AttendanceStatus.MISSED
    assert _count(AttendanceCorrection) == 1


def test_correction_keeps_the_earlier_value(world):
    _, service, staff, participant = world
    case, referral = participant()
    row = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    for blank in ("", "   "):
        with pytest.raises(ValidationFailed, match="reason"):
            attendance.correct_attendance(row, AttendanceStatus.EXCUSED, blank, staff)
    with pytest.raises(ValidationFailed, match="at most 500"):
        attendance.correct_attendance(row, AttendanceStatus.EXCUSED, "x" * 501, staff)
    with pytest.raises(ValidationFailed, match="already attended"):
        attendance.correct_attendance(row, AttendanceStatus.ATTENDED, "no change", staff)
    attendance.correct_attendance(row, AttendanceStatus.EXCUSED, " Called in sick ", staff)
    [history] = db.session.scalars(select(AttendanceCorrection)).all()
    assert (history.old_status, history.new_status, history.reason) == (
        AttendanceStatus.ATTENDED,
        AttendanceStatus.EXCUSED,
        "Called in sick",
    )
    assert history.corrected_by_id == staff.id
    assert row.status == AttendanceStatus.EXCUSED
    [entry] = _entries(case, TimelineKind.ATTENDANCE_CORRECTED)
    assert entry.organization_id == service.organization_id
    assert entry.payload["previous_status"] == "attended"
    assert entry.payload["status"] == "excused"
    assert entry.payload["reason"] == "Called in sick"


def test_only_the_organisations_staff_correct(world, f):
    _, _, staff, participant = world
    _, referral = participant()
    row = attendance.record_attendance(referral, local_today(), AttendanceStatus.ATTENDED, staff)
    stranger = f.provider()
    with pytest.raises(NotPermitted):
        attendance.correct_attendance(row, AttendanceStatus.MISSED, "because", stranger)
    assert _count(AttendanceCorrection) == 0


def test_group_session_marks_every_accepted_participant_once(world):
    _, service, staff, participant = world
    accepted = [participant() for _ in range(3)]
    pending_case, _ = participant(accept=False)
    day = local_today() - dt.timedelta(days=2)
    attendance.record_attendance(accepted[0][1], day, AttendanceStatus.EXCUSED, staff)
    marked = attendance.record_group_session(service, day, staff)
    assert sorted(a.service_referral_id for a in marked) == sorted(r.id for _, r in accepted[1:])
    assert all(a.status == AttendanceStatus.ATTENDED for a in marked)
    stored = dict(
        db.session.execute(select(Attendance.service_referral_id, Attendance.status)).all()
    )
    assert stored[accepted[0][1].id] == AttendanceStatus.EXCUSED  # kept, not overwritten
    assert len(stored) == 3
    for case, _ in accepted[1:]:
        assert len(_entries(case, TimelineKind.ATTENDANCE_RECORDED)) == 1
    assert _entries(pending_case, TimelineKind.ATTENDANCE_RECORDED) == []
    assert attendance.record_group_session(service, day, staff) == []
    assert _count(Attendance) == 3


def test_group_session_race_keeps_rows_recorded_meanwhile(world, monkeypatch):
    _, service, staff, participant = world
    (_, first), (second_case, second) = participant(), participant()
    theirs = attendance.record_attendance(first, local_today(), AttendanceStatus.MISSED, staff)
    real_scalars = db.session.scalars
    calls = []

    def blind_scalars(statement, *args, **kw):
        # The check for rows already recorded sees nothing, as if the other insert came later.
        if "attendance.service_referral_id" in str(statement) and not calls:
            calls.append(1)
            return iter([])
        return real_scalars(statement, *args, **kw)

    monkeypatch.setattr(db.session, "scalars", blind_scalars)
    marked = attendance.record_group_session(service, local_today(), staff)
    monkeypatch.undo()
    assert calls
    assert [a.service_referral_id for a in marked] == [second.id]
    db.session.commit()
    assert db.session.get(Attendance, theirs.id).status == AttendanceStatus.MISSED
    assert _count(Attendance) == 2
    assert len(_entries(second_case, TimelineKind.ATTENDANCE_RECORDED)) == 1


def test_group_session_rules(world, f):
    _, service, staff, participant = world
    participant()
    with pytest.raises(ValidationFailed, match="future"):
        attendance.record_group_session(service, local_today() + dt.timedelta(days=1), staff)
    with pytest.raises(NotPermitted):
        attendance.record_group_session(service, local_today(), f.provider())
    assert _count(Attendance) == 0
