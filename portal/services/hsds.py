"""The directory as an HSDS 3.0 file: provider organisations (with their phone and location)
and their services (with weekly schedules, eligibility and capacity).

What HSDS 3.0 has no field for travels in its own mechanism, attributes: the service's
category, kind and organisation's status as taxonomy terms of the portal's taxonomies; its
"by appointment" flag, admission criteria and places (HSDS 3.0 has no service capacity object)
as attribute values. Every identifier is stable: organisations, services and weekly sessions
keep their own (`hsds_id`), and the objects we hold one of per parent (an organisation's phone,
location and address, an attribute) take one derived from the parent's (uuid5), so the same
directory always gives the same file.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Organization, Service, ServiceCategory, ServiceKind, ServiceStatus
from portal.services.hsds_schema import HSDS_VERSION

# The namespace of every identifier derived here (uuid5): fixed, so derived ids never move.
NAMESPACE = uuid.UUID("544ea6ff-ac62-4e0a-a806-5c4a2d6870ab")

# Attribute link types: what each attribute of ours describes.
CATEGORY = "lead_service_category"
KIND = "lead_service_kind"
ORGANIZATION_STATUS = "lead_organization_status"
BY_APPOINTMENT = "lead_by_appointment"
CRITERION = "lead_admission_criterion"
CAPACITY_MAXIMUM = "lead_capacity_maximum"
CAPACITY_AVAILABLE = "lead_capacity_available"

# The portal's taxonomies (the attributes whose value is a term of one): codes and names.
TAXONOMIES: dict[str, tuple[str, dict[str, str]]] = {
    CATEGORY: (
        "LEAD portal service categories",
        {category.value: category.label for category in ServiceCategory},
    ),
    KIND: (
        "LEAD portal kinds of service",
        {kind.value: kind.label for kind in ServiceKind},
    ),
    ORGANIZATION_STATUS: (
        "LEAD portal organisation status",
        {"active": "Active", "inactive": "Inactive (no new referrals)"},
    ),
}

# Our service status and HSDS's (HSDS's "defunct" is read as inactive).
STATUS_TO_HSDS = {
    ServiceStatus.ACTIVE: "active",
    ServiceStatus.TEMPORARILY_CLOSED: "temporarily closed",
    ServiceStatus.INACTIVE: "inactive",
}
STATUS_FROM_HSDS = {v: k for k, v in STATUS_TO_HSDS.items()} | {"defunct": ServiceStatus.INACTIVE}

BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]  # RFC 5545 weekdays, Monday first


def derived_id(parent_id: str, what: str) -> str:
    """The identifier of something we hold one of per parent (its phone, location, ...)."""
    return str(uuid.uuid5(NAMESPACE, f"{parent_id}/{what}"))


def taxonomy_id(link_type: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"taxonomy/{link_type}"))


def term_id(link_type: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"taxonomy/{link_type}/{code}"))


def format_time(value) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


# --- export ------------------------------------------------------------------------------------


def _term_attribute(parent_id: str, entity: str, link_type: str, code: str) -> dict:
    taxonomy_name, terms = TAXONOMIES[link_type]
    term = term_id(link_type, code)
    return {
        "id": derived_id(parent_id, link_type),
        "link_id": parent_id,
        "link_entity": entity,
        "link_type": link_type,
        "taxonomy_term_id": term,
        "taxonomy_term": {
            "id": term,
            "code": code,
            "name": terms[code],
            "description": f"{taxonomy_name}: {terms[code]}",
            "taxonomy_id": taxonomy_id(link_type),
        },
    }


def _value_attribute(parent_id: str, link_type: str, value: str, index: int = 0) -> dict:
    what = link_type if not index else f"{link_type}/{index}"
    return {
        "id": derived_id(parent_id, what),
        "link_id": parent_id,
        "link_entity": "service",
        "link_type": link_type,
        "value": value,
    }


def organization_object(organization: Organization) -> dict:
    """One organisation as an HSDS organization (its phone and address, if any, as its one
    phone and one location)."""
    oid = organization.hsds_id
    result: dict = {"id": oid, "name": organization.name, "description": organization.description}
    if organization.email:
        result["email"] = organization.email
    if organization.website:
        result["website"] = organization.website
    if organization.phone:
        result["phones"] = [
            {"id": derived_id(oid, "phone"), "organization_id": oid, "number": organization.phone}
        ]
    if organization.address:
        location_id = derived_id(oid, "location")
        # Our address is one line: HSDS's address asks for its parts, which we give empty.
        address = {
            "id": derived_id(oid, "address"),
            "location_id": location_id,
            "address_1": organization.address,
            "city": "",
            "state_province": "",
            "postal_code": "",
            "country": "",
            "address_type": "physical",
        }
        result["locations"] = [
            {
                "id": location_id,
                "organization_id": oid,
                "location_type": "physical",
                "addresss": [address],  # sic: the field's name in HSDS 3.0.0
            }
        ]
    status = "active" if organization.active else "inactive"
    result["attributes"] = [_term_attribute(oid, "organization", ORGANIZATION_STATUS, status)]
    return result


def service_object(service: Service) -> dict:
    """One service as an HSDS service, with its weekly sessions and our attributes."""
    sid = service.hsds_id
    result: dict = {
        "id": sid,
        "organization_id": service.organization.hsds_id,
        "name": service.name,
        "description": service.description,
        "status": STATUS_TO_HSDS[service.status],
        "eligibility_description": service.eligibility,
    }
    if service.min_age is not None:
        result["minimum_age"] = service.min_age
    if service.max_age is not None:
        result["maximum_age"] = service.max_age
    result["schedules"] = [
        {
            "id": schedule.hsds_id,
            "service_id": sid,
            "freq": "WEEKLY",
            "byday": BYDAY[schedule.weekday],
            "opens_at": format_time(schedule.opens_at),
            "closes_at": format_time(schedule.closes_at),
        }
        for schedule in service.schedules
    ]
    attributes = [
        _term_attribute(sid, "service", CATEGORY, service.category.value),
        _term_attribute(sid, "service", KIND, service.kind.value),
        _value_attribute(sid, BY_APPOINTMENT, "true" if service.by_appointment else "false"),
    ]
    attributes += [
        _value_attribute(sid, CRITERION, criterion, index)
        for index, criterion in enumerate(service.admission_criteria or [])
    ]
    if service.capacity_max is not None:
        attributes.append(_value_attribute(sid, CAPACITY_MAXIMUM, str(service.capacity_max)))
    if service.holds_places:
        attributes.append(
            _value_attribute(sid, CAPACITY_AVAILABLE, str(service.capacity_available))
        )
    result["attributes"] = attributes
    return result


def export_directory() -> dict:
    """The whole directory (agencies are not part of it), organisations and services by name."""
    organizations = db.session.scalars(
        select(Organization).order_by(func.lower(Organization.name), Organization.id)
    ).all()
    services = db.session.scalars(
        select(Service)
        .join(Service.organization)
        .options(selectinload(Service.organization), selectinload(Service.schedules))
        .order_by(func.lower(Organization.name), func.lower(Service.name), Service.id)
    ).all()
    return {
        "organizations": [organization_object(o) for o in organizations],
        "services": [service_object(s) for s in services],
    }


def dumps(document: dict) -> str:
    """The file's text: stable key order as built, indented, UTF-8 characters as they are."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def file_name() -> str:
    return f"directory-hsds-{HSDS_VERSION}.json"
