"""Importing a directory file (HSDS 3.0): each organisation and service is created, or
updated by its identifier, through the directory's own services (so every rule of a form holds
for a file too), and what changed is listed.

A file is taken whole or not at all: `hsds_read` checks it first, and a rule of the directory
that refuses one object refuses the file (every such problem listed); the caller then rolls
back, and commits only when `import_directory` returns. What a file leaves out is left alone:
an import adds and updates, it never deletes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import AuditAction, Organization, Service, User
from portal.models.directory import WEEKDAYS
from portal.services import audit, directory, hsds
from portal.services.directory_checks import clean_criteria
from portal.services.errors import DomainError, ValidationFailed
from portal.services.hsds_read import ImportRefused, Plan, parse, plan
from portal.services.hsds_schema import Problem
from portal.services.organizations import (
    create_organization,
    set_organization_active,
    update_organization,
)

__all__ = ["ImportRefused", "ImportResult", "import_directory", "parse"]


@dataclass
class ImportResult:
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- applying it -------------------------------------------------------------------------------

ORG_LABELS = {
    "name": "name",
    "description": "description",
    "phone": "phone",
    "email": "e-mail",
    "website": "website",
    "address": "address",
    "active": "active",
}
SERVICE_LABELS = {
    "organization": "organisation",
    "name": "name",
    "description": "description",
    "category": "category",
    "kind": "kind",
    "status": "status",
    "eligibility": "eligibility",
    "min_age": "minimum age",
    "max_age": "maximum age",
    "by_appointment": "by appointment",
    "admission_criteria": "admission criteria",
    "capacity_max": "maximum places",
    "capacity_available": "available places",
    "schedule": "weekly sessions",
}
# Where in an HSDS object each field a directory service may refuse is.
FIELD_PATHS = {
    "phone": "phones[0].number",
    "address": "locations[0]",
    "organization_id": "organization_id",
    "category": "attributes",
    "kind": "attributes",
    "by_appointment": "attributes",
    "admission_criteria": "attributes",
    "capacity_max": "attributes",
    "capacity_available": "attributes",
    "schedule": "schedules",
    "min_age": "minimum_age",
    "max_age": "maximum_age",
    "eligibility": "eligibility_description",
}


def _where(path: str, error: DomainError) -> str:
    if not error.field:
        return path
    head, _, rest = error.field.partition(".")
    if head == "schedule" and rest:
        return f"{path}.schedules[{rest.split('.')[0]}]"
    return f"{path}.{FIELD_PATHS.get(head, head)}"


def _org_snapshot(organization: Organization) -> dict:
    return {key: getattr(organization, key) for key in ORG_LABELS}


def _session_label(row) -> str:
    return (
        f"{WEEKDAYS[row.weekday]}s {hsds.format_time(row.opens_at)}-"
        f"{hsds.format_time(row.closes_at)}"
    )


def _service_snapshot(service: Service) -> dict:
    return {
        "organization": service.organization.hsds_id,
        "name": service.name,
        "description": service.description,
        "category": service.category,
        "kind": service.kind,
        "status": service.status,
        "eligibility": service.eligibility,
        "min_age": service.min_age,
        "max_age": service.max_age,
        "by_appointment": service.by_appointment,
        "admission_criteria": list(service.admission_criteria or []),
        "capacity_max": service.capacity_max,
        "capacity_available": service.capacity_available,
        "schedule": sorted(
            (s.hsds_id, s.weekday, s.opens_at, s.closes_at) for s in service.schedules
        ),
    }


def _shown(key: str, value, names: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if key == "organization":
        return f"“{names.get(value, value)}”"
    if key == "schedule":
        rows = sorted(value, key=lambda row: row[1:])
        return ", ".join(_session_label(directory.ScheduleRow(*row[1:])) for row in rows)
    if key == "admission_criteria":
        return "; ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "label"):
        return value.label
    return f"“{value}”"


def _differences(what: str, before: dict, after: dict, labels: dict, names: dict) -> list[str]:
    lines = []
    for key, label in labels.items():
        if before[key] != after[key]:
            lines.append(
                f"{what}: {label} changed from {_shown(key, before[key], names)} "
                f"to {_shown(key, after[key], names)}."
            )
    return lines


def _apply_organizations(actor, plan_: Plan, result: ImportResult, problems: list) -> None:
    found = {
        o.hsds_id: o
        for o in db.session.scalars(
            select(Organization).where(
                Organization.hsds_id.in_([oid for _, oid, _ in plan_.organizations])
            )
        )
    }
    for path, oid, values in plan_.organizations:
        fields = {k: v for k, v in values.items() if k != "active"}
        organization = found.get(oid)
        try:
            if organization is None:
                organization = create_organization(actor, hsds_id=oid, **fields)
                if not values["active"]:
                    set_organization_active(actor, organization, False)
                found[oid] = organization
                result.changes.append(f"Organisation “{organization.name}” created.")
                continue
            before = _org_snapshot(organization)
            if before == values:
                continue
            name = organization.name
            if {k: before[k] for k in fields} != fields:
                update_organization(actor, organization, **fields)
            if organization.active != values["active"]:
                set_organization_active(actor, organization, values["active"])
            result.changes += _differences(
                f"Organisation “{name}”", before, _org_snapshot(organization), ORG_LABELS, {}
            )
        except ValidationFailed as error:
            problems.append(Problem(_where(path, error), error.message))
    db.session.flush()


def _apply_services(actor, plan_: Plan, result: ImportResult, problems: list) -> None:
    organizations = db.session.execute(
        select(Organization.hsds_id, Organization.id, Organization.name)
    ).all()
    names = {hsds_id: name for hsds_id, _, name in organizations}
    org_ids = {hsds_id: org_id for hsds_id, org_id, _ in organizations}
    found = {
        s.hsds_id: s
        for s in db.session.scalars(
            select(Service)
            .where(Service.hsds_id.in_([sid for _, sid, _ in plan_.services]))
            .options(selectinload(Service.schedules), selectinload(Service.organization))
        )
    }
    for path, sid, values in plan_.services:
        service = found.get(sid)
        arguments = {
            key: value
            for key, value in values.items()
            if key not in ("organization", "kind", "admission_criteria")
        }
        arguments["organization_id"] = org_ids.get(values["organization"])
        if values["kind"] is not None:
            arguments["kind"] = values["kind"]
        try:
            arguments["admission_criteria"] = clean_criteria(values["admission_criteria"])
            if service is None:
                service = directory.create_service(actor, hsds_id=sid, **arguments)
                result.changes.append(
                    f"Service “{service.name}” of “{names.get(values['organization'])}” created."
                )
                continue
            before = _service_snapshot(service)
            wanted = dict(values, admission_criteria=arguments["admission_criteria"])
            wanted["kind"] = values["kind"] or service.kind
            wanted["schedule"] = sorted(
                (r.hsds_id, r.weekday, r.opens_at, r.closes_at) for r in values["schedule"]
            )
            if wanted["capacity_available"] is None:  # not given: the service keeps its own
                wanted["capacity_available"] = arguments["capacity_available"] = (
                    service.capacity_available
                )
            if before == wanted:
                continue
            name = service.name
            directory.update_service(actor, service, **arguments)
            db.session.flush()
            db.session.refresh(service, ["organization"])
            result.changes += _differences(
                f"Service “{name}”", before, _service_snapshot(service), SERVICE_LABELS, names
            )
        except ValidationFailed as error:
            problems.append(Problem(_where(path, error), error.message))


def import_directory(actor: User, document: dict) -> ImportResult:
    """Create or update every organisation and service of a checked file, by identifier; the
    list of what changed (empty: nothing did). ImportRefused, with every problem, when the
    file asks what the directory's rules refuse: the caller then rolls back."""
    plan_ = plan(document)
    result, problems = ImportResult(), []
    _apply_organizations(actor, plan_, result, problems)
    _apply_services(actor, plan_, result, problems)
    if problems:
        raise ImportRefused(problems)
    if result.changed:
        audit.record(AuditAction.CHANGE, object_type="directory_import")
    db.session.flush()
    return result
