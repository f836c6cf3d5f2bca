"""The directory's rules: unique names, schedules, ages and capacity against held places."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import (
    CaseStatus,
    DeclineReason,
    ReferralStatus,
    Service,
    ServiceReferral,
    ServiceStatus,
)
from portal.services import directory, referrals
from portal.services.directory import ScheduleRow
from portal.services.errors import NotPermitted, ValidationFailed

WED_1_3 = ScheduleRow(2, dt.time(13), dt.time(15))


def _service_values(org, **overrides):
    values = {
        "organization_id": org.id,
        "name": "Harm Reduction Clinic",
        "description": "Supplies and testing.",
        "category": "harm_reduction",
        "kind": "scheduled",
        "eligibility": "Adults",
        "min_age": 18,
        "max_age": None,
        "status": "active",
        "by_appointment": False,
        "schedule": [WED_1_3],
        "capacity_max": 40,
        "capacity_available": None,
    }
    values.update(overrides)
    return values


def _refer(f, service, status=ReferralStatus.PENDING, n=1):
    for _ in range(n):
        case = f.CaseFactory()
        db.session.add(
            ServiceReferral(
                case_id=case.id, service_id=service.id, status=status, created_by_id=case.officer_id
            )
        )
    db.session.flush()


def _refused(call, field: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value.message


def test_create_service_with_weekly_schedule(f):
    org = f.OrganizationFactory()
    service = directory.create_service(f.admin(), **_service_values(org))
    assert [s.label for s in service.schedules] == ["Wednesdays 13:00-15:00"]
    assert not service.by_appointment
    assert (service.capacity_max, service.capacity_available) == (40, 40)
    assert service.status == ServiceStatus.ACTIVE


def test_service_names_unique_within_an_organisation(f):
    admin = f.admin()
    org, other = f.OrganizationFactory(), f.OrganizationFactory()
    directory.create_service(admin, **_service_values(org))
    message = _refused(
        lambda: directory.create_service(
            admin, **_service_values(org, name="harm reduction clinic")
        ),
        "name",
    )
    assert "already has a service" in message
    directory.create_service(admin, **_service_values(other))  # another organisation may


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"by_appointment": True}, "by_appointment", "no weekly sessions"),
        ({"schedule": []}, "schedule", "at least one weekly session"),
        (
            {"schedule": [ScheduleRow(2, dt.time(15), dt.time(13))]},
            "schedule.0.closes_at",
            "after the opening",
        ),
        (
            {"schedule": [WED_1_3, ScheduleRow(2, dt.time(14), dt.time(16))]},
            "schedule.1.opens_at",
            "overlaps",
        ),
        ({"schedule": [ScheduleRow(7, dt.time(9), dt.time(10))]}, "schedule.0.weekday", "day"),
        ({"min_age": 30, "max_age": 20}, "max_age", "below the minimum"),
        ({"min_age": -1}, "min_age", "between 0"),
        ({"capacity_max": None}, "capacity_max", "maximum"),
        ({"capacity_max": -1}, "capacity_max", "between 0"),
        ({"capacity_available": 41}, "capacity_available", "At most 40"),
        ({"capacity_available": -1}, "capacity_available", "negative"),
        ({"organization_id": 999_999}, "organization_id", "organisation"),
        ({"category": "astrology"}, "category", "category"),
        ({"name": ""}, "name", "name"),
    ],
)
def test_bad_service_input_is_refused_and_nothing_is_added(f, overrides, field, words):
    org = f.OrganizationFactory()
    message = _refused(
        lambda: directory.create_service(f.admin(), **_service_values(org, **overrides)), field
    )
    assert words in message
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Service)) == 0


def test_by_appointment_service_has_no_sessions(f):
    org = f.OrganizationFactory()
    service = directory.create_service(
        f.admin(), **_service_values(org, by_appointment=True, schedule=[])
    )
    assert service.by_appointment and service.schedules == []


def test_held_places_count_pending_and_accepted_referrals_only(f):
    service = f.ServiceFactory(capacity_max=10, capacity_available=5)
    _refer(f, service, ReferralStatus.PENDING, 2)
    _refer(f, service, ReferralStatus.ACCEPTED, 1)
    _refer(f, service, ReferralStatus.DECLINED, 1)
    _refer(f, service, ReferralStatus.COMPLETED, 1)
    assert directory.held_places(service.id) == 3


def test_raising_the_maximum_keeps_held_places_in_mind(f):
    service = f.ServiceFactory(capacity_max=10, capacity_available=7)
    _refer(f, service, n=3)
    loaded = directory.get_service(service.id)
    directory.update_availability(
        f.admin(),
        loaded,
        by_appointment=True,
        schedule=[],
        capacity_max=12,
        capacity_available=7,  # left as it was: follows the new maximum
    )
    assert (loaded.capacity_max, loaded.capacity_available) == (12, 9)


def test_maximum_below_held_places_is_refused(f):
    service = f.ServiceFactory(capacity_max=10, capacity_available=7)
    _refer(f, service, n=3)
    loaded = directory.get_service(service.id)
    message = _refused(
        lambda: directory.update_availability(
            f.admin(),
            loaded,
            by_appointment=True,
            schedule=[],
            capacity_max=2,
            capacity_available=0,
        ),
        "capacity_max",
    )
    assert message == "3 places are held by open referrals; the maximum cannot be below 3."


def test_available_cannot_exceed_the_places_not_held(f):
    service = f.ServiceFactory(capacity_max=10, capacity_available=7)
    _refer(f, service, n=3)
    loaded = directory.get_service(service.id)
    message = _refused(
        lambda: directory.update_availability(
            f.admin(),
            loaded,
            by_appointment=True,
            schedule=[],
            capacity_max=10,
            capacity_available=8,
        ),
        "capacity_available",
    )
    assert "At most 7 places" in message and "3 of 10 are held" in message
    directory.update_availability(
        f.admin(), loaded, by_appointment=True, schedule=[], capacity_max=10, capacity_available=4
    )
    assert loaded.capacity_available == 4


def test_schedule_is_replaced_and_by_appointment_cleared(f):
    service = f.ServiceFactory()
    loaded = directory.get_service(service.id)
    rows = [ScheduleRow(0, dt.time(18), dt.time(19, 30)), WED_1_3]
    directory.update_availability(
        f.admin(),
        loaded,
        by_appointment=False,
        schedule=rows,
        capacity_max=10,
        capacity_available=10,
    )
    db.session.commit()
    again = directory.get_service(service.id)
    assert not again.by_appointment
    assert [s.label for s in again.schedules] == ["Mondays 18:00-19:30", "Wednesdays 13:00-15:00"]
    directory.update_availability(
        f.admin(),
        again,
        by_appointment=False,
        schedule=[WED_1_3],
        capacity_max=10,
        capacity_available=10,
    )
    db.session.commit()
    assert [s.label for s in directory.get_service(service.id).schedules] == [
        "Wednesdays 13:00-15:00"
    ]


def test_provider_changes_only_their_own_organisations_services(f):
    service = f.ServiceFactory()
    stranger = f.provider()
    loaded = directory.get_service(service.id)
    with pytest.raises(NotPermitted):
        directory.update_availability(
            stranger,
            loaded,
            by_appointment=True,
            schedule=[],
            capacity_max=3,
            capacity_available=None,
        )
    own = f.provider(organization=service.organization)
    directory.update_availability(
        own, loaded, by_appointment=True, schedule=[], capacity_max=3, capacity_available=None
    )
    assert (loaded.capacity_max, loaded.capacity_available) == (3, 3)


def test_a_service_with_open_referrals_stays_with_its_organisation(f):
    service = f.ServiceFactory()
    _refer(f, service)
    other = f.OrganizationFactory()
    loaded = directory.get_service(service.id)
    values = _service_values(other, name=service.name, by_appointment=True, schedule=[])
    values["capacity_available"] = 9
    _refused(lambda: directory.update_service(f.admin(), loaded, **values), "organization_id")


def test_capacity_edits_and_reservations_agree(f):
    """Places taken through referrals.assign_service are held when the maximum changes."""
    admin = f.admin()
    service = f.ServiceFactory(capacity_max=2, capacity_available=2)
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    referral = referrals.assign_service(case, service, admin)
    loaded = directory.get_service(service.id)
    assert loaded.capacity_available == 1

    def change(capacity_max, capacity_available):
        directory.update_availability(
            admin,
            loaded,
            by_appointment=True,
            schedule=[],
            capacity_max=capacity_max,
            capacity_available=capacity_available,
        )

    change(5, 1)  # available left as it was: it follows the new maximum
    assert loaded.capacity_available == 4
    message = _refused(lambda: change(0, 0), "capacity_max")
    assert message.startswith("1 place is held by open referrals")
    change(1, 0)
    referrals.decline_service_referral(referral, admin, DeclineReason.OTHER, "")
    assert directory.get_service(service.id).capacity_available == 1
