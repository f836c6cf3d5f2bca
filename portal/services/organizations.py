"""Who refers and who serves: law-enforcement agencies and provider organisations.

Every function checks its input as a whole before changing anything, so a refused change
leaves nothing half-applied; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Agency, Organization, Service, ServiceReferral, User
from portal.services import referrals, user_sessions
from portal.services.directory_checks import (
    checked_text,
    clean,
    name_taken,
    require_directory_manager,
)
from portal.services.errors import ValidationFailed

# --- agencies --------------------------------------------------------------------------------


def _agency_values(name: str, short_name: str | None, agency_id: int | None) -> dict:
    name = checked_text("name", name, "agency's name", required=True)
    if name_taken(Agency, name, agency_id):
        raise ValidationFailed("An agency with this name already exists.", field="name")
    return {"name": name, "short_name": checked_text("short_name", short_name, "short name")}


def create_agency(actor: User, *, name: str, short_name: str | None = None) -> Agency:
    """Add a law-enforcement agency; agency names are unique."""
    require_directory_manager(actor)
    agency = Agency(**_agency_values(name, short_name, None), active=True)
    db.session.add(agency)
    db.session.flush()
    return agency


def update_agency(actor: User, agency: Agency, *, name: str, short_name: str | None) -> Agency:
    """Rename an agency; agency names stay unique."""
    require_directory_manager(actor)
    for key, value in _agency_values(name, short_name, agency.id).items():
        setattr(agency, key, value)
    db.session.flush()
    return agency


def set_agency_active(actor: User, agency: Agency, active: bool) -> Agency:
    """Deactivate or reactivate an agency; an inactive one is no longer offered for new officers,
    and its officers are signed out at once (and may not sign in while it is inactive)."""
    require_directory_manager(actor)
    agency.active = active
    if not active:
        user_sessions.end_affiliation_sessions(agency_id=agency.id)
    db.session.flush()
    return agency


# --- provider organisations ------------------------------------------------------------------


def _organization_values(values: dict, organization_id: int | None) -> dict:
    name = checked_text("name", values.get("name"), "organisation's name", required=True)
    if name_taken(Organization, name, organization_id):
        raise ValidationFailed("An organisation with this name already exists.", field="name")
    description = clean(values.get("description"))
    if len(description) > 4000:
        raise ValidationFailed("Use at most 4,000 characters.", field="description")
    cleaned = {"name": name, "description": description}
    for field in ("phone", "email", "website", "address"):
        cleaned[field] = checked_text(field, values.get(field), field)
    if cleaned["email"]:
        cleaned["email"] = cleaned["email"].lower()
    return cleaned


def create_organization(actor: User, hsds_id: str | None = None, **values) -> Organization:
    """Add a provider organisation (name, description, phone, email, website, address); an
    imported one keeps the identifier its directory file gave it."""
    require_directory_manager(actor)
    organization = Organization(**_organization_values(values, None), active=True)
    if hsds_id:
        organization.hsds_id = hsds_id
    db.session.add(organization)
    db.session.flush()
    return organization


def update_organization(actor: User, organization: Organization, **values) -> Organization:
    """Edit a provider organisation; organisation names are unique."""
    require_directory_manager(actor)
    for key, value in _organization_values(values, organization.id).items():
        setattr(organization, key, value)
    db.session.flush()
    return organization


def set_organization_active(actor: User, organization: Organization, active: bool) -> Organization:
    """Deactivate or reactivate a provider organisation; one still serving participants stays.
    Its staff are signed out at once (and may not sign in while it is inactive)."""
    require_directory_manager(actor)
    if not active:
        open_referrals = db.session.scalar(
            select(func.count())
            .select_from(ServiceReferral)
            .join(Service, Service.id == ServiceReferral.service_id)
            .where(
                Service.organization_id == organization.id,
                ServiceReferral.status.in_(referrals.OPEN_STATUSES),
            )
        )
        if open_referrals:
            raise ValidationFailed(
                f"{open_referrals} open referral{'s' if open_referrals != 1 else ''} to this "
                "organisation's services must be completed, ended or declined first."
            )
    organization.active = active
    if not active:
        user_sessions.end_affiliation_sessions(organization_id=organization.id)
    db.session.flush()
    return organization
