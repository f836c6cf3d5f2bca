"""A provider's world: an organisation's weekly service meeting today, its staff, participants,
and a second organisation with its own service and staff (the `world` fixture of provider tests,
and a builder for tests elsewhere)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.clock import local_today
from portal.extensions import db
from portal.models import Service, ServiceReferral, ServiceSchedule, User
from tests import factories


@dataclass
class World:
    admin: User
    service: Service
    staff: User
    other_service: Service
    other_staff: User
    made: list[ServiceReferral] = field(default_factory=list)

    def participant(self, accept=True, service=None, first_name=None) -> ServiceReferral:
        """An active participant referred weeks ago to `service` (default: ours), accepted by
        its organisation's staff unless `accept` is False."""
        service = service or self.service
        staff = self.staff if service.organization_id == self.staff.organization_id else None
        person = factories.PersonFactory(**({"first_name": first_name} if first_name else {}))
        referral = factories.ServiceReferralFactory(
            case=factories.CaseFactory(active=True, person=person, screened_by=self.admin),
            service=service,
            created_by=self.admin,
            note="Needs a place",
            accepted=accept,
            decided_by=(staff or self.other_staff) if accept else None,
        )
        self.made.append(referral)
        return referral


def provider_world(f) -> World:
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
    return World(admin, service, staff, other_service, other_staff)
