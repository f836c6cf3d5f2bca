"""Service sessions: the dated occurrences of each service's weekly schedule, in local time.

A session is computed, not stored: a ServiceSchedule row (weekday, opens_at, closes_at) repeats
every week. By-appointment services have no scheduled sessions; their attendance is still
logged for a date the staff choose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.clock import local_now, program_tz
from portal.extensions import db
from portal.models import (
    Attendance,
    Case,
    Person,
    ReferralStatus,
    Service,
    ServiceReferral,
    ServiceStatus,
)
from portal.services.paging import Key, Page, keyset_page


@dataclass(frozen=True)
class ScheduledSession:
    """One occurrence of a service's weekly schedule on a local date."""

    service_id: int
    service_name: str
    date: dt.date
    opens_at: dt.time
    closes_at: dt.time

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.opens_at, tzinfo=program_tz())

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.closes_at, tzinfo=program_tz())


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of the week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def has_schedule(service: Service) -> bool:
    """A service meets on a weekly schedule (not by appointment, and has schedule rows)."""
    return not service.by_appointment and bool(service.schedules)


def sessions_between(
    services: Iterable[Service], start: dt.date, end: dt.date
) -> list[ScheduledSession]:
    """Sessions of `services` (schedules loaded) from `start` to `end` inclusive, in time order."""
    found = []
    for service in services:
        if service.status != ServiceStatus.ACTIVE or not has_schedule(service):
            continue
        for schedule in service.schedules:
            day = start + dt.timedelta(days=(schedule.weekday - start.weekday()) % 7)
            while day <= end:
                found.append(
                    ScheduledSession(
                        service.id, service.name, day, schedule.opens_at, schedule.closes_at
                    )
                )
                day += dt.timedelta(days=7)
    return sorted(found, key=lambda s: (s.date, s.opens_at, s.service_name, s.service_id))


def organization_services(organization_id: int | None) -> list[Service]:
    """An organisation's services with their schedules (one query for each, whatever the count)."""
    if organization_id is None:
        return []
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.organization_id == organization_id)
            .options(selectinload(Service.schedules))
            .order_by(Service.name, Service.id)
        )
    )


def organization_sessions(
    organization_id: int | None, start: dt.date, end: dt.date
) -> list[ScheduledSession]:
    """Scheduled sessions of an organisation's active services between two local dates."""
    return sessions_between(organization_services(organization_id), start, end)


def next_session(service: Service, after: dt.datetime | None = None) -> ScheduledSession | None:
    """The first session not yet over at `after` (default: now, local), if the service has one."""
    if service.status != ServiceStatus.ACTIVE or not has_schedule(service):
        return None
    after = (after or local_now()).astimezone(program_tz())
    for session in sessions_between([service], after.date(), after.date() + dt.timedelta(days=7)):
        if session.ends_at > after:
            return session
    return None


def is_session_day(service: Service, day: dt.date) -> bool:
    """The service's weekly schedule has a session on `day`."""
    return bool(sessions_between([service], day, day))


# --- what a week of sessions and one session hold -----------------------------------------------


def enrolled_counts(service_ids: list[int]) -> dict[int, int]:
    """How many participants each service has on its roster (accepted referrals)."""
    return dict(
        db.session.execute(
            select(ServiceReferral.service_id, func.count())
            .where(
                ServiceReferral.service_id.in_(service_ids),
                ServiceReferral.status == ReferralStatus.ACCEPTED,
            )
            .group_by(ServiceReferral.service_id)
        ).all()
    )


def recorded_counts(
    service_ids: list[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], int]:
    """How many attendance entries each service has on each date from `first` to `last`."""
    return {
        (service_id, day): count
        for service_id, day, count in db.session.execute(
            select(ServiceReferral.service_id, Attendance.session_date, func.count())
            .join(Attendance, Attendance.service_referral_id == ServiceReferral.id)
            .where(
                ServiceReferral.service_id.in_(service_ids),
                Attendance.session_date.between(first, last),
            )
            .group_by(ServiceReferral.service_id, Attendance.session_date)
        )
    }


SESSION_KEYS = [
    Key(Person.last_name, str),
    Key(Person.first_name, str),
    Key(ServiceReferral.id, int),
]


def session_rows(
    service_id: int, day: dt.date, after: str | None, size: int, search: str = ""
) -> Page:
    """A page of a session's participants: the service's accepted referrals, and anyone already
    recorded for that date (a referral ended since keeps its entry), by name (or those whose
    name holds `search`), with case and person."""
    recorded_that_day = select(Attendance.service_referral_id).where(Attendance.session_date == day)
    query = (
        select(ServiceReferral)
        .join(Case, Case.id == ServiceReferral.case_id)
        .join(Person, Person.id == Case.person_id)
        .where(
            ServiceReferral.service_id == service_id,
            or_(
                ServiceReferral.status == ReferralStatus.ACCEPTED,
                ServiceReferral.id.in_(recorded_that_day),
            ),
        )
        .options(joinedload(ServiceReferral.case).joinedload(Case.person))
    )
    if search:
        like = f"%{search.lower()}%"
        query = query.where(func.lower(Person.first_name + " " + Person.last_name).like(like))
    return keyset_page(query, SESSION_KEYS, after, size)


def entries_on(referral_ids: list[int], day: dt.date) -> dict[int, Attendance]:
    """The attendance entries of these referrals on one date, by referral."""
    return {
        a.service_referral_id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.service_referral_id.in_(referral_ids),
                Attendance.session_date == day,
            )
        )
    }
