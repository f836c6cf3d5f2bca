"""Demo data: a few past weeks of attendance for the accepted service referrals already stored,
and the harm reduction clinic's last Wednesday of visits."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.clock import local_date, local_today, program_tz
from portal.extensions import db
from portal.models import (
    Attendance,
    AttendanceStatus,
    Case,
    CaseStatus,
    ReferralStatus,
    Service,
    ServiceReferral,
    TimelineEntry,
    User,
)
from portal.policy import provider_staff
from portal.services import visits
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
        if actor is None or referral.service.is_episode:  # an episode is admitted, not attended
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


CLINIC = "Harm Reduction Clinic"
ANONYMOUS_VISITORS = 9


def _last_clinic_day(service: Service) -> dt.date | None:
    """The clinic's latest session day before today (its Wednesday)."""
    today = local_today()
    days = [s.date for s in sessions_between([service], today - dt.timedelta(days=7), today)]
    past = [d for d in days if d < today]
    return past[-1] if past else None


def seed_visits() -> int:
    """The harm reduction clinic logs its last Wednesday: two participants who gave their name,
    and the day's anonymous count. Returns the named visits recorded."""
    clinic = db.session.scalar(
        select(Service).where(Service.name == CLINIC).options(selectinload(Service.schedules))
    )
    if clinic is None or not clinic.is_drop_in:
        return 0
    day = _last_clinic_day(clinic)
    actor = db.session.scalar(
        select(User)
        .where(provider_staff(), User.active, User.organization_id == clinic.organization_id)
        .order_by(User.id)
    )
    if day is None or actor is None:
        return 0
    named = 0
    for case in db.session.scalars(
        select(Case)
        .where(Case.status == CaseStatus.ACTIVE, Case.intake_completed_on <= day)
        .options(joinedload(Case.person))
        .order_by(Case.referred_at)
        .limit(2)
    ):
        marker = db.session.scalar(
            select(func.coalesce(func.max(TimelineEntry.id), 0)).where(
                TimelineEntry.case_id == case.id
            )
        )
        visit, new = visits.record_named_visit(
            clinic,
            day,
            actor,
            first_name=case.person.first_name,
            last_name=case.person.last_name,
            dob=case.person.dob,
        )
        at = dt.datetime.combine(day, dt.time(13, 20 + 10 * named), tzinfo=program_tz())
        visit.recorded_at = at
        for entry in db.session.scalars(
            select(TimelineEntry).where(TimelineEntry.case_id == case.id, TimelineEntry.id > marker)
        ):
            entry.created_at = at  # the visit's entry is dated on the clinic's afternoon
        named += new
    visits.record_visitor_count(clinic, day, ANONYMOUS_VISITORS, actor)
    db.session.flush()
    return named
