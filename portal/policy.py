"""Who may see and do what: every access decision of the portal, in one place.

Three kinds of answer live here and nowhere else:
- predicates (`can_*`, `is_*`): may this user do this to this object?
- scopes (`*_scope`): the rows of a list this user may see; every list and loader starts from one;
- the officer's disclosure rule (`officer_disclosure`): what of a case reaches law enforcement.

Services call `require(...)`, which raises `NotPermitted`; views load through the scoped loaders
in `portal.auth.permissions`; templates ask these predicates or read flags a service computed.
No other module compares a user's role.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, select, true

from portal.models import (
    OFFICER_KINDS,
    Case,
    Role,
    Service,
    ServiceReferral,
    TimelineEntry,
    User,
)
from portal.services.errors import NotPermitted

HOME = {
    Role.OFFICER: "officer.referrals",
    Role.PROVIDER: "provider.roster",
    Role.ADMIN: "admin.queue",
}


def require(allowed: bool, message: str) -> None:
    """Refuse the action (NotPermitted, with `message`) unless the policy allowed it."""
    if not allowed:
        raise NotPermitted(message)


# --- who is who ---------------------------------------------------------------------------------


def has_role(user: User, role: Role) -> bool:
    """The user is signed in with this role (the role gate of each front door)."""
    return getattr(user, "role", None) == role


def is_officer(user: User) -> bool:
    return has_role(user, Role.OFFICER)


def is_provider_staff(user: User) -> bool:
    return has_role(user, Role.PROVIDER) and user.organization_id is not None


def is_program_staff(user: User) -> bool:
    """The program office (today one administrator role: case management and administration)."""
    return has_role(user, Role.ADMIN)


def provider_staff() -> ColumnElement[bool]:
    """Users who are provider staff, as a query filter."""
    return (User.role == Role.PROVIDER) & User.organization_id.is_not(None)


def home_endpoint(user: User) -> str:
    """Where a user lands after signing in."""
    return HOME[user.role]


def needs_agency(role: Role) -> bool:
    """Officers belong to an agency."""
    return role == Role.OFFICER


def needs_organization(role: Role) -> bool:
    """Provider staff belong to a provider organisation."""
    return role == Role.PROVIDER


# --- cases --------------------------------------------------------------------------------------


def _provider_case_ids(organization_id: int | None) -> Select:
    return (
        select(ServiceReferral.case_id)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(Service.organization_id == organization_id)
    )


def case_scope(user: User) -> Select:
    """Cases a user may see: all (program office), own agency's (officer), referred to them
    (provider staff); nothing for anyone else."""
    query = select(Case)
    if is_program_staff(user):
        return query
    if is_officer(user):
        return query.where(Case.agency_id == user.agency_id)
    if is_provider_staff(user):
        return query.where(Case.id.in_(_provider_case_ids(user.organization_id)))
    return query.where(false())


def can_refer(user: User) -> bool:
    """Officers of an agency refer people to the program."""
    return is_officer(user) and user.agency_id is not None


def can_manage_case(user: User) -> bool:
    """Screening, intake, assessment, contacts, matching, service assignment, details and exits:
    the program office's case management."""
    return is_program_staff(user)


# --- the directory, users and settings ----------------------------------------------------------


def can_manage_directory(user: User) -> bool:
    """Agencies, provider organisations and their services."""
    return is_program_staff(user)


def can_manage_users(user: User) -> bool:
    return is_program_staff(user)


def can_manage_settings(user: User) -> bool:
    """The program's rules (deadlines, exclusion reasons, eligibility items)."""
    return is_program_staff(user)


def can_view_audit(user: User) -> bool:
    """The audit trail (who did what, who opened which record) and its export."""
    return is_program_staff(user)


def can_edit_availability(user: User, service: Service) -> bool:
    """A service's schedule and capacity: its own organisation's staff, or the program office."""
    return is_staff_of(user, service) or can_manage_directory(user)


# --- service referrals and attendance -----------------------------------------------------------


def is_staff_of(user: User, service: Service) -> bool:
    """Provider staff of the organisation that runs the service."""
    return is_provider_staff(user) and user.organization_id == service.organization_id


def service_referral_scope(user: User) -> Select:
    """Service referrals a user may see: all (program office), their organisation's (provider
    staff); none for officers (which services a participant uses is clinical)."""
    query = select(ServiceReferral)
    if is_program_staff(user):
        return query
    if is_provider_staff(user):
        return query.join(Service, Service.id == ServiceReferral.service_id).where(
            Service.organization_id == user.organization_id
        )
    return query.where(false())


def can_decide_service_referral(user: User, service: Service) -> bool:
    """Accept, decline, complete or end a service referral: the provider's staff or the office."""
    return is_staff_of(user, service) or can_manage_case(user)


def can_record_attendance(user: User, service: Service) -> bool:
    """Attendance is logged by the staff of the organisation that runs the service."""
    return is_staff_of(user, service)


# --- the timeline and what reaches law enforcement ----------------------------------------------


def officer_disclosure(user: User) -> ColumnElement[bool]:
    """The officer's disclosure rule: which timeline entries of a case reach law enforcement.

    Status-level events only (never clinical detail, services or attendance).
    """
    return TimelineEntry.kind.in_(OFFICER_KINDS)


def timeline_scope(user: User) -> ColumnElement[bool]:
    """Timeline entries a user may see, as a filter: all (program office), what the disclosure
    rule allows (officer), their organisation's own entries (provider staff)."""
    if is_program_staff(user):
        return true()
    if is_officer(user):
        return officer_disclosure(user)
    if is_provider_staff(user):
        return TimelineEntry.organization_id == user.organization_id
    return false()


def sees_status_only(user: User) -> bool:
    """Officers read fixed status wording: no payload, no names of who did what."""
    return is_officer(user)
