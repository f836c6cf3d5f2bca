"""Demo data: a few past weeks of attendance for the accepted service referrals already stored."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.clock import local_date, local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceStatus,
    ReferralStatus,
    Service,
    ServiceReferral,
    User,
)
from portal.policy import provider_staff
from portal.services.attendance import record_attendance
from portal.services.sessions import has_schedule, sessions_between

STATUSES = list(AttendanceStatus)
WEIGHTS = [14, 3, 2, 1]  # attended, missed, excused, cancelled


def _session_dates(service: Service, start: dt.date, end: dt.date, referral_id: int) -> list:
    if has_schedule(service):
        return [s.date for s in sessions_between([service], start, end)]
    # By appointment: one weekday appointment a week, the weekday fixed per referral.
    weekday = referral_id % 5
    first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    return [first + dt.timedelta(weeks=n) for n in range((end - first).days // 7 + 1)]


def seed_attendance(weeks: int = 4, rng_seed: int = 7) -> int:
    """Record past weeks of attendance for each accepted referral (same data on every run)."""
    today = local_today()
    referrals = db.session.scalars(
        select(ServiceReferral)
        .where(ServiceReferral.status == ReferralStatus.ACCEPTED)
        .options(
            joinedload(ServiceReferral.service).selectinload(Service.schedules),
            joinedload(ServiceReferral.case),
        )
        .order_by(ServiceReferral.id)
    ).unique()
    staff: dict[int, User] = {}
    for user in db.session.scalars(
        select(User).where(provider_staff(), User.active).order_by(User.id.desc())
    ):
        staff[user.organization_id] = user  # the organisation's first account wins
    before = db.session.scalar(select(func.count()).select_from(Attendance))
    recorded = set(
        db.session.execute(select(Attendance.service_referral_id, Attendance.session_date)).all()
    )
    for referral in referrals:
        actor = staff.get(referral.service.organization_id)
        if actor is None:
            continue
        case = referral.case
        enrolled = case.intake_completed_on or local_date(case.referred_at) or today
        referred = local_date(referral.created_at)
        start = max(today - dt.timedelta(weeks=weeks), enrolled, referred)
        end = today - dt.timedelta(days=1)
        rng = random.Random(f"{rng_seed}-{referral.id}")
        for day in _session_dates(referral.service, start, end, referral.id):
            status = rng.choices(STATUSES, WEIGHTS)[0]
            if (referral.id, day) not in recorded:  # staff's own entries are never overwritten
                record_attendance(referral, day, status, actor)
    db.session.flush()
    return db.session.scalar(select(func.count()).select_from(Attendance)) - before
