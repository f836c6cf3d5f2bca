"""The service directory: provider organisations' services, their weekly schedules and capacity.

Agencies and organisations themselves are in `services/organizations.py`. Every function
checks its input as a whole before changing anything, so a refused change leaves nothing
half-applied; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from portal.database import lock_row
from portal.extensions import db
from portal.models import (
    Organization,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceReferral,
    ServiceSchedule,
    ServiceStatus,
    User,
)
from portal.models.directory import WEEKDAYS, new_hsds_id
from portal.policy import can_edit_availability, require
from portal.services import referrals
from portal.services.directory_checks import (
    checked_text,
    clean,
    clean_criteria,
    name_taken,
    require_directory_manager,
)
from portal.services.errors import ValidationFailed

MAX_CAPACITY = 10_000
MAX_AGE = 120


@dataclass(frozen=True)
class ScheduleRow:
    """One weekly session as entered: weekday (0 = Monday) and opening hours."""

    weekday: int
    opens_at: dt.time
    closes_at: dt.time
    hsds_id: str | None = None  # its identifier in a directory file (HSDS), when imported


# --- services: schedule and capacity ---------------------------------------------------------


def held_places(service_id: int | None) -> int:
    """Places of a service held by its open (pending or accepted) service referrals."""
    return referrals.held_places(service_id) if service_id is not None else 0


def check_schedule(by_appointment: bool, rows: list[ScheduleRow]) -> list[ScheduleRow]:
    """A service is either by appointment or has weekly sessions that close after they open."""
    if by_appointment and rows:
        raise ValidationFailed(
            "A service by appointment has no weekly sessions: remove them, or untick "
            "“By appointment”.",
            field="by_appointment",
        )
    if not by_appointment and not rows:
        raise ValidationFailed(
            "Give at least one weekly session, or mark the service as by appointment.",
            field="schedule",
        )
    for index, row in enumerate(rows):
        if not 0 <= row.weekday <= 6:
            raise ValidationFailed("Choose a day of the week.", field=f"schedule.{index}.weekday")
        if row.closes_at <= row.opens_at:
            raise ValidationFailed(
                "The closing time must be after the opening time.",
                field=f"schedule.{index}.closes_at",
            )
    ordered = sorted(enumerate(rows), key=lambda item: (item[1].weekday, item[1].opens_at))
    for (_, earlier), (index, later) in zip(ordered, ordered[1:], strict=False):
        if later.weekday == earlier.weekday and later.opens_at < earlier.closes_at:
            raise ValidationFailed(
                f"This session overlaps another session on {WEEKDAYS[later.weekday]}.",
                field=f"schedule.{index}.opens_at",
            )
    return rows


def check_capacity(
    service: Service | None,
    capacity_max: int | None,
    capacity_available: int | None,
    kind: ServiceKind | None = None,
) -> tuple[int | None, int]:
    """Capacity in range, never below the places open referrals hold; a drop-in service has
    no places at all (whatever was entered).

    When the maximum changes and the available count was left as it was, the available
    count follows: maximum minus the places held.
    """
    kind = kind or (service.kind if service is not None else ServiceKind.SCHEDULED)
    if kind == ServiceKind.DROP_IN:
        return None, 0
    if capacity_max is None:
        raise ValidationFailed("Enter the maximum number of places.", field="capacity_max")
    if not 0 <= capacity_max <= MAX_CAPACITY:
        raise ValidationFailed(
            f"The maximum must be between 0 and {MAX_CAPACITY:,}.", field="capacity_max"
        )
    held = held_places(service.id if service else None)
    if capacity_max < held:
        raise ValidationFailed(
            f"{held} place{'s are' if held != 1 else ' is'} held by open referrals; "
            f"the maximum cannot be below {held}.",
            field="capacity_max",
        )
    free = capacity_max - held
    follows_max = (
        service is not None
        and capacity_max != service.capacity_max
        and capacity_available == service.capacity_available
    )
    if capacity_available is None or follows_max:
        return capacity_max, free
    if capacity_available < 0:
        raise ValidationFailed("Available places cannot be negative.", field="capacity_available")
    if capacity_available > free:
        detail = f" ({held} of {capacity_max} are held by open referrals)" if held else ""
        raise ValidationFailed(
            f"At most {free} place{'s' if free != 1 else ''} can be available{detail}.",
            field="capacity_available",
        )
    return capacity_max, capacity_available


def _lock(service: Service) -> None:
    """Hold the service row and re-read it, so capacity is checked against current numbers.

    A place reserved meanwhile (referrals.reserve_place) is then seen, never overwritten.
    """
    lock_row(
        db.session,
        Service,
        service.id,
        selectinload(Service.schedules),
        selectinload(Service.organization),
    )


def _apply_schedule(service: Service, by_appointment: bool, rows: list[ScheduleRow]) -> None:
    service.by_appointment = by_appointment
    # A session keeps its HSDS identifier across edits: the one given with the row (an
    # import), else that of the session it replaces (same day and hours).
    kept = {(s.weekday, s.opens_at, s.closes_at): s.hsds_id for s in service.schedules}
    # Replace the sessions: deleting the old rows first keeps a same-day reshuffle legal.
    service.schedules.clear()
    db.session.flush()
    service.schedules.extend(
        ServiceSchedule(
            weekday=r.weekday,
            opens_at=r.opens_at,
            closes_at=r.closes_at,
            hsds_id=r.hsds_id or kept.get((r.weekday, r.opens_at, r.closes_at)) or new_hsds_id(),
        )
        for r in rows
    )


# --- services --------------------------------------------------------------------------------


def _criteria(lines: list[str] | None, kind: ServiceKind, service: Service | None) -> list[str]:
    """The admission criteria: an episode's alone (none given, a service keeps its own)."""
    if lines is None:
        return list(service.admission_criteria or []) if service is not None else []
    criteria = clean_criteria(lines)
    if criteria and kind != ServiceKind.EPISODE:
        raise ValidationFailed(
            "Only an episode service asks admission criteria: leave them empty, or choose the "
            "episode kind.",
            field="admission_criteria",
        )
    return criteria


def _service_values(values: dict, service: Service | None) -> dict:
    organization_id = values.get("organization_id")
    organization = db.session.get(Organization, organization_id) if organization_id else None
    if organization is None:
        raise ValidationFailed("Choose the organisation.", field="organization_id")
    name = checked_text("name", values.get("name"), "service's name", required=True)
    if name_taken(Service, name, service.id if service else None, organization_id=organization.id):
        raise ValidationFailed(
            "This organisation already has a service with this name.", field="name"
        )
    try:
        category = ServiceCategory(values.get("category"))
    except ValueError:
        raise ValidationFailed("Choose a category.", field="category") from None
    try:
        status = ServiceStatus(values.get("status") or ServiceStatus.ACTIVE)
    except ValueError:
        raise ValidationFailed("Choose a status.", field="status") from None
    chosen = values.get("kind")
    if chosen is None:  # not given: the service keeps its kind (a new one is scheduled)
        chosen = service.kind if service is not None else ServiceKind.SCHEDULED
    try:
        kind = ServiceKind(chosen)
    except ValueError:
        raise ValidationFailed(
            "Choose the kind of service: episode, scheduled or drop-in.", field="kind"
        ) from None
    cleaned = {
        "organization_id": organization.id,
        "name": name,
        "category": category,
        "status": status,
        "kind": kind,
        "admission_criteria": _criteria(values.get("admission_criteria"), kind, service),
    }
    for field in ("description", "eligibility"):
        text = clean(values.get(field))
        if len(text) > 4000:
            raise ValidationFailed("Use at most 4,000 characters.", field=field)
        cleaned[field] = text
    min_age, max_age = values.get("min_age"), values.get("max_age")
    for field, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= MAX_AGE:
            raise ValidationFailed(f"Enter an age between 0 and {MAX_AGE}.", field=field)
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ValidationFailed("The maximum age cannot be below the minimum age.", field="max_age")
    cleaned.update(min_age=min_age, max_age=max_age)
    return cleaned


def create_service(
    actor: User,
    *,
    by_appointment: bool,
    schedule: list[ScheduleRow],
    capacity_max: int | None,
    capacity_available: int | None = None,
    hsds_id: str | None = None,
    **values,
) -> Service:
    """Add a service: unique name within its organisation, valid ages, schedule and capacity
    (an imported one keeps the identifier its directory file gave it)."""
    require_directory_manager(actor)
    cleaned = _service_values(values, None)
    check_schedule(by_appointment, schedule)
    capacity_max, capacity_available = check_capacity(
        None, capacity_max, capacity_available, cleaned["kind"]
    )
    service = Service(**cleaned, capacity_max=capacity_max, capacity_available=capacity_available)
    if hsds_id:
        service.hsds_id = hsds_id
    service.schedules = []
    db.session.add(service)
    _apply_schedule(service, by_appointment, schedule)
    db.session.flush()
    return service


def update_service(
    actor: User,
    service: Service,
    *,
    by_appointment: bool,
    schedule: list[ScheduleRow],
    capacity_max: int | None,
    capacity_available: int | None,
    **values,
) -> Service:
    """Edit a service; capacity never drops below the places that open referrals hold."""
    require_directory_manager(actor)
    _lock(service)
    cleaned = _service_values(values, service)
    if cleaned["organization_id"] != service.organization_id and has_referrals(service.id):
        # Its participants' records belong to the organisation that served them.
        raise ValidationFailed(
            "This service has referrals; it cannot move to another organisation. "
            "Create the service under the new organisation instead.",
            field="organization_id",
        )
    held = held_places(service.id)
    if cleaned.get("status") == ServiceStatus.INACTIVE and held:
        raise ValidationFailed(
            f"{held} open referral{'s' if held != 1 else ''} still use this service: "
            "complete, end or decline them before making it inactive.",
            field="status",
        )
    if cleaned["kind"] == ServiceKind.DROP_IN and service.kind != ServiceKind.DROP_IN and held:
        # A drop-in holds no places: the places these referrals hold would vanish under them.
        raise ValidationFailed(
            f"{held} open referral{'s hold' if held != 1 else ' holds'} places of this service: "
            "complete, end or decline them before making it drop-in.",
            field="kind",
        )
    check_schedule(by_appointment, schedule)
    capacity_max, capacity_available = check_capacity(
        service, capacity_max, capacity_available, cleaned["kind"]
    )
    for key, value in cleaned.items():
        setattr(service, key, value)
    service.capacity_max, service.capacity_available = capacity_max, capacity_available
    _apply_schedule(service, by_appointment, schedule)
    db.session.flush()
    return service


def has_referrals(service_id: int) -> bool:
    """Whether any participant was ever referred to the service."""
    return bool(db.session.scalar(select(exists().where(ServiceReferral.service_id == service_id))))


def update_availability(
    actor: User,
    service: Service,
    *,
    by_appointment: bool,
    schedule: list[ScheduleRow],
    capacity_max: int | None,
    capacity_available: int | None,
) -> Service:
    """Provider staff (of the service's own organisation) or admins change schedule and capacity."""
    require(
        can_edit_availability(actor, service),
        "You can only change your own organisation's services.",
    )
    _lock(service)
    check_schedule(by_appointment, schedule)
    capacity_max, capacity_available = check_capacity(service, capacity_max, capacity_available)
    service.capacity_max, service.capacity_available = capacity_max, capacity_available
    _apply_schedule(service, by_appointment, schedule)
    db.session.flush()
    return service


def _service_query(service_id: int):
    return (
        select(Service)
        .where(Service.id == service_id)
        .options(selectinload(Service.schedules), selectinload(Service.organization))
    )


def get_service(service_id: int, organization_id: int | None = None) -> Service | None:
    """A service with its organisation and schedule, optionally only within one organisation."""
    query = _service_query(service_id)
    if organization_id is not None:
        query = query.where(Service.organization_id == organization_id)
    return db.session.scalar(query)
