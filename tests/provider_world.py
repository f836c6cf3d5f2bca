"""A provider's world for web tests: an organisation, its weekly service, staff, participants."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from portal.clock import local_today
from portal.extensions import db
from portal.models import CaseStatus, Service, ServiceReferral, ServiceSchedule, User, utcnow
from portal.services import referrals


@dataclass
class World:
    f: object
    admin: User
    service: Service
    staff: User
    other_service: Service
    other_staff: User
    made: list = field(default_factory=list)

    def participant(self, accept=True, service=None, first_name=None) -> ServiceReferral:
        service = service or self.service
        person = self.f.PersonFactory(**({"first_name": first_name} if first_name else {}))
        case = self.f.CaseFactory(status=CaseStatus.ACTIVE, person=person)
        referral = referrals.assign_service(case, service, self.admin, note="Needs a place")
        referral.created_at = utcnow() - dt.timedelta(days=60)  # referred weeks ago
        if accept:
            staff = self.staff if service.organization_id == self.staff.organization_id else None
            referrals.accept_service_referral(referral, staff or self.other_staff)
        self.made.append(referral)
        return referral


def build(f) -> World:
    """A weekly service that meets today (local), and a second organisation's service."""
    admin = f.admin()
    service = f.ServiceFactory(
        name="Harm reduction clinic", by_appointment=False, capacity_max=50, capacity_available=50
    )
    service.schedules.append(
        ServiceSchedule(
            weekday=local_today().weekday(), opens_at=dt.time(0, 0), closes_at=dt.time(23, 59)
        )
    )
    staff = f.provider(organization=service.organization)
    other_service = f.ServiceFactory(name="Detox beds", capacity_max=50, capacity_available=50)
    other_staff = f.provider(organization=other_service.organization)
    db.session.flush()
    return World(f, admin, service, staff, other_service, other_staff)


@contextmanager
def count_queries():
    """Count the SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.session.commit()  # what the test set up is written before counting starts
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
