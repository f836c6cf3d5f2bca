"""Service sessions: the dated occurrences of each service's weekly schedule, in local time.

A session is computed, not stored: a ServiceSchedule row (weekday, opens_at, closes_at) repeats
every week. By-appointment services have no scheduled sessions; their attendance is still
logged for a date the staff choose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import local_now, program_tz
from portal.extensions import db
from portal.models import Service, ServiceStatus


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
