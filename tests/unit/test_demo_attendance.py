"""Demo attendance: past weeks for accepted referrals, deterministic, safe to run twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.clock import local_today
from portal.demo.attendance import seed_attendance
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceStatus,
    CaseStatus,
    ReferralStatus,
    ServiceSchedule,
    TimelineEntry,
    TimelineKind,
    utcnow,
)
from portal.services import referrals


def _rows():
    return db.session.execute(
        select(Attendance.service_referral_id, Attendance.session_date, Attendance.status).order_by(
            Attendance.service_referral_id, Attendance.session_date
        )
    ).all()


def _build(f):
    admin = f.admin()
    weekly = f.ServiceFactory(by_appointment=False, name="Wednesday clinic")
    weekly.schedules.append(ServiceSchedule(weekday=2, opens_at=dt.time(13), closes_at=dt.time(15)))
    appointments = f.ServiceFactory(by_appointment=True, organization=weekly.organization)
    staff = f.provider(organization=weekly.organization)
    long_ago = local_today() - dt.timedelta(days=60)
    made = {}
    for name, service in (("weekly", weekly), ("appointments", appointments)):
        case = f.CaseFactory(status=CaseStatus.ACTIVE, intake_completed_on=long_ago)
        referral = referrals.assign_service(case, service, admin)
        referral.created_at = utcnow() - dt.timedelta(days=60)
        referrals.accept_service_referral(referral, staff)
        made[name] = referral
    pending_case = f.CaseFactory(status=CaseStatus.ACTIVE, intake_completed_on=long_ago)
    made["pending"] = referrals.assign_service(pending_case, weekly, admin)
    unstaffed = f.ServiceFactory(by_appointment=True)  # no provider account: skipped
    lonely = f.CaseFactory(status=CaseStatus.ACTIVE, intake_completed_on=long_ago)
    made["unstaffed"] = referrals.assign_service(lonely, unstaffed, admin)
    made["unstaffed"].status = ReferralStatus.ACCEPTED
    db.session.flush()
    return made


def test_seed_attendance_records_past_weeks_for_accepted_referrals(f):
    made = _build(f)
    created = seed_attendance(weeks=4)
    rows = _rows()
    assert created == len(rows) > 0
    by_referral = {}
    for referral_id, day, status in rows:
        by_referral.setdefault(referral_id, []).append((day, status))
    assert set(by_referral) == {made["weekly"].id, made["appointments"].id}
    today = local_today()
    for days in by_referral.values():
        assert all(today - dt.timedelta(weeks=4) <= d < today for d, _ in days)
        assert 3 <= len(days) <= 4  # one session or appointment a week
    assert all(d.weekday() == 2 for d, _ in by_referral[made["weekly"].id])
    kinds = db.session.scalar(
        select(func.count())
        .select_from(TimelineEntry)
        .where(TimelineEntry.kind == TimelineKind.ATTENDANCE_RECORDED)
    )
    assert kinds == len(rows)


def test_seed_attendance_is_deterministic_and_keeps_staff_entries(f):
    made = _build(f)
    seed_attendance()
    first = _rows()
    db.session.execute(Attendance.__table__.delete())
    assert seed_attendance() == len(first)
    assert _rows() == first
    # a value staff changed is left alone on a second run, and nothing is added twice
    row = db.session.scalar(
        select(Attendance).where(Attendance.service_referral_id == made["weekly"].id).limit(1)
    )
    row.status = (
        AttendanceStatus.CANCELLED
        if row.status != AttendanceStatus.CANCELLED
        else AttendanceStatus.ATTENDED
    )
    db.session.flush()
    assert seed_attendance() == 0
    assert db.session.get(Attendance, row.id).status == row.status
