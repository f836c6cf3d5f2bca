"""Reading a directory file (HSDS 3.0) into the directory: each organisation and service is
created, or updated by its identifier, through the directory's own services (so every rule of
a form holds for a file too).

A file is taken whole or not at all: it is checked against the schema, then against what our
columns can hold and what the directory already has; every problem found is listed (its JSON
path and why) and nothing is written. The caller commits only when `import_directory` returns.
What a file leaves out is left alone: an import adds and updates, it never deletes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    AuditAction,
    Organization,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceSchedule,
    User,
)
from portal.models.directory import WEEKDAYS
from portal.services import audit, directory, hsds
from portal.services.directory_checks import clean_criteria
from portal.services.errors import DomainError, ValidationFailed
from portal.services.hsds_schema import Problem, schema_problems
from portal.services.organizations import (
    create_organization,
    set_organization_active,
    update_organization,
)

TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
TERM_LINKS = {hsds.CATEGORY: ServiceCategory, hsds.KIND: ServiceKind}


class ImportRefused(DomainError):
    """The file was refused; `problems` says where and why, every one of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"The file was refused: {len(problems)} problem(s).")
        self.problems = problems


@dataclass
class ImportResult:
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- reading the file --------------------------------------------------------------------------


def parse(content: bytes, max_bytes: int) -> dict:
    """The file's JSON, or ImportRefused (too large, not UTF-8 JSON, not an object)."""
    if len(content) > max_bytes:
        raise ImportRefused([Problem("$", f"the file is larger than {max_bytes:,} bytes")])
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportRefused([Problem("$", "the file is not UTF-8 text")]) from None
    except json.JSONDecodeError as error:
        reason = f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise ImportRefused([Problem("$", reason)]) from None
    except RecursionError:
        raise ImportRefused([Problem("$", "not JSON we can read: nested too deeply")]) from None
    problems = schema_problems(document)
    if problems:
        raise ImportRefused(list(dict.fromkeys(problems)))
    return document


def _text(value) -> str:
    return (value or "").strip()


def _optional(value) -> str | None:
    return _text(value) or None


def _uuid(value: str, path: str, problems: list[Problem]) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        problems.append(Problem(path, f"{json.dumps(value)} is not a UUID"))
        return None


def _time(value, path: str, problems: list[Problem]) -> dt.time | None:
    match = TIME.match(value or "") if isinstance(value, str) else None
    if match is None:
        problems.append(Problem(path, "a time of day as HH:MM (24-hour, local time) is needed"))
        return None
    return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))


def _whole(value: str | float | None, path: str, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not math.isfinite(number) or number < 0 or number != int(number):
        problems.append(Problem(path, f"{json.dumps(value)} is not a whole number of 0 or more"))
        return None
    return int(number)


def _organization_values(obj: dict, path: str, problems: list[Problem]) -> dict:
    """What the file says of an organisation, in our columns' terms."""
    values = {
        "name": _text(obj.get("name")),
        "description": _text(obj.get("description")),
        "email": _optional(obj.get("email")),
        "website": _optional(obj.get("website")),
        "phone": None,
        "address": None,
        "active": True,
    }
    if values["email"]:
        values["email"] = values["email"].lower()
    phones = obj.get("phones") or []
    if len(phones) > 1:
        problems.append(Problem(f"{path}.phones", "the portal holds one phone per organisation"))
    elif phones:
        values["phone"] = _optional(phones[0].get("number"))
    locations = obj.get("locations") or []
    if len(locations) > 1:
        problems.append(
            Problem(f"{path}.locations", "the portal holds one location per organisation")
        )
    elif locations:
        addresses = locations[0].get("addresss") or []
        if len(addresses) > 1:
            problems.append(
                Problem(f"{path}.locations[0].addresss", "the portal holds one address")
            )
        elif addresses:
            parts = ("address_1", "address_2", "city", "state_province", "postal_code", "country")
            joined = ", ".join(
                _text(addresses[0].get(p)) for p in parts if _text(addresses[0].get(p))
            )
            values["address"] = joined or None
    for index, attribute in enumerate(obj.get("attributes") or []):
        if attribute.get("link_type") == hsds.ORGANIZATION_STATUS:
            code = (attribute.get("taxonomy_term") or {}).get("code")
            if code not in ("active", "inactive"):
                problems.append(
                    Problem(
                        f"{path}.attributes[{index}].taxonomy_term.code",
                        'the organisation status is "active" or "inactive"',
                    )
                )
            else:
                values["active"] = code == "active"
    return values


def _attributes(obj: dict, path: str, problems: list[Problem]) -> dict:
    """Our service attributes: category and kind (terms), the rest values."""
    found: dict = {CRITERIA: []}
    for index, attribute in enumerate(obj.get("attributes") or []):
        link_type, where = attribute.get("link_type"), f"{path}.attributes[{index}]"
        if link_type in TERM_LINKS:
            code = (attribute.get("taxonomy_term") or {}).get("code")
            enum_cls = TERM_LINKS[link_type]
            try:
                value = enum_cls(code)
            except ValueError:
                known = ", ".join(m.value for m in enum_cls)
                what = "category" if link_type == hsds.CATEGORY else "kind of service"
                problems.append(
                    Problem(
                        f"{where}.taxonomy_term.code",
                        f"unknown {what} {json.dumps(code)} (one of {known})",
                    )
                )
                continue
            if link_type in found:
                problems.append(Problem(where, f"a second {link_type} attribute"))
            found[link_type] = value
        elif link_type == hsds.BY_APPOINTMENT:
            if attribute.get("value") not in ("true", "false"):
                problems.append(Problem(f"{where}.value", 'must be "true" or "false"'))
            found[link_type] = attribute.get("value") == "true"
        elif link_type == hsds.CRITERION:
            found[CRITERIA].append(_text(attribute.get("value")))
        elif link_type in (hsds.CAPACITY_MAXIMUM, hsds.CAPACITY_AVAILABLE):
            found[link_type] = _whole(attribute.get("value"), f"{where}.value", problems)
        # Attributes of other taxonomies (a publisher's own) are not held by the portal.
    return found


CRITERIA = "criteria"


def _service_values(obj: dict, path: str, problems: list[Problem]) -> dict:
    """What the file says of a service, in our columns' terms (the organisation by its id)."""
    found = _attributes(obj, path, problems)
    if hsds.CATEGORY not in found and not any(
        p.path.startswith(f"{path}.attributes") for p in problems
    ):
        problems.append(
            Problem(f"{path}.attributes", f"a {hsds.CATEGORY} attribute (the category) is needed")
        )
    min_age = _whole(obj.get("minimum_age"), f"{path}.minimum_age", problems)
    max_age = _whole(obj.get("maximum_age"), f"{path}.maximum_age", problems)
    schedules = []
    for index, schedule in enumerate(obj.get("schedules") or []):
        where = f"{path}.schedules[{index}]"
        row = _schedule_row(schedule, where, problems)
        if row is not None:
            schedules.append(row)
    return {
        "organization": obj.get("organization_id"),
        "name": _text(obj.get("name")),
        "description": _text(obj.get("description")),
        "category": found.get(hsds.CATEGORY),
        "kind": found.get(hsds.KIND),
        "status": hsds.STATUS_FROM_HSDS[obj["status"]],
        "eligibility": _text(obj.get("eligibility_description")),
        "min_age": min_age,
        "max_age": max_age,
        "by_appointment": found.get(hsds.BY_APPOINTMENT, False),
        "admission_criteria": found[CRITERIA],
        "capacity_max": found.get(hsds.CAPACITY_MAXIMUM),
        "capacity_available": found.get(hsds.CAPACITY_AVAILABLE),
        "schedule": schedules,
    }


def _schedule_row(schedule: dict, where: str, problems: list[Problem]):
    before = len(problems)
    if schedule.get("freq", "WEEKLY") != "WEEKLY" or schedule.get("interval", 1) != 1:
        problems.append(Problem(f"{where}.freq", "the portal holds weekly sessions only"))
    byday = schedule.get("byday")
    if byday not in hsds.BYDAY:
        problems.append(
            Problem(f"{where}.byday", f"{json.dumps(byday)} is not one weekday (MO to SU)")
        )
    opens = _time(schedule.get("opens_at"), f"{where}.opens_at", problems)
    closes = _time(schedule.get("closes_at"), f"{where}.closes_at", problems)
    if opens and closes and closes <= opens:
        problems.append(Problem(f"{where}.closes_at", "the session closes before it opens"))
    if len(problems) > before:
        return None
    return directory.ScheduleRow(hsds.BYDAY.index(byday), opens, closes, schedule["id"])


# --- checking the file as a whole --------------------------------------------------------------


@dataclass
class Plan:
    organizations: list[tuple[str, str, dict]]  # (path, id, values)
    services: list[tuple[str, str, dict]]


def _ids(objects: list[dict], prefix: str, problems: list[Problem], seen: dict) -> list[str | None]:
    ids = []
    for index, obj in enumerate(objects):
        where = f"{prefix}[{index}].id"
        value = _uuid(obj["id"], where, problems)
        if value is not None and value in seen:
            problems.append(Problem(where, f"the same id as {seen[value]}"))
        elif value is not None:
            seen[value] = where
        ids.append(value)
    return ids


def plan(document: dict) -> Plan:
    """What the file asks, checked whole: ImportRefused with every problem, or the plan."""
    problems: list[Problem] = []
    organizations, services = [], []
    org_ids = _ids(document["organizations"], "$.organizations", problems, {})
    for index, (obj, oid) in enumerate(zip(document["organizations"], org_ids, strict=True)):
        path = f"$.organizations[{index}]"
        values = _organization_values(obj, path, problems)
        if oid:
            organizations.append((path, oid, values))
    service_ids = _ids(document["services"], "$.services", problems, {})
    schedule_seen: dict = {}
    known_orgs = set(org_ids) | _existing(Organization, _referenced_orgs(document))
    for index, (obj, sid) in enumerate(zip(document["services"], service_ids, strict=True)):
        path = f"$.services[{index}]"
        _ids(obj.get("schedules") or [], f"{path}.schedules", problems, schedule_seen)
        org = obj.get("organization_id")
        if not org:
            problems.append(Problem(f"{path}.organization_id", "required field missing"))
        else:
            org = _uuid(org, f"{path}.organization_id", problems)
            if org and org not in known_orgs:
                problems.append(
                    Problem(
                        f"{path}.organization_id",
                        "no organisation has this id, in the file or in the directory",
                    )
                )
        values = _service_values(obj, path, problems)
        values["organization"] = org
        values["schedule"] = [
            directory.ScheduleRow(r.weekday, r.opens_at, r.closes_at, str(uuid.UUID(r.hsds_id)))
            for r in values["schedule"]
            if _is_uuid(r.hsds_id)
        ]
        if sid:
            services.append((path, sid, values))
    problems += _schedules_of_others(services)
    if problems:
        raise ImportRefused(problems)
    return Plan(organizations, services)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _referenced_orgs(document: dict) -> set[str]:
    return {
        str(uuid.UUID(s["organization_id"]))
        for s in document["services"]
        if _is_uuid(s.get("organization_id"))
    }


def _existing(model, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    return set(db.session.scalars(select(model.hsds_id).where(model.hsds_id.in_(ids))))


def _schedules_of_others(services: list[tuple[str, str, dict]]) -> list[Problem]:
    """A session id the directory gives to another service is not moved by a file."""
    owner = {}
    for path, sid, values in services:
        for index, row in enumerate(values["schedule"]):
            owner[row.hsds_id] = (f"{path}.schedules[{index}].id", sid)
    if not owner:
        return []
    rows = db.session.execute(
        select(ServiceSchedule.hsds_id, Service.hsds_id)
        .join(Service, Service.id == ServiceSchedule.service_id)
        .where(ServiceSchedule.hsds_id.in_(list(owner)))
    ).all()
    return [
        Problem(owner[schedule][0], "this session belongs to another service of the directory")
        for schedule, service in rows
        if owner[schedule][1] != service
    ]


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


def _apply_organizations(actor, plan_: Plan, result: ImportResult, problems: list) -> dict:
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
    return found


def _apply_services(actor, plan_: Plan, organizations: dict, result: ImportResult, problems):
    names = dict(db.session.execute(select(Organization.hsds_id, Organization.name)).all())
    found = {
        s.hsds_id: s
        for s in db.session.scalars(
            select(Service)
            .where(Service.hsds_id.in_([sid for _, sid, _ in plan_.services]))
            .options(selectinload(Service.schedules), selectinload(Service.organization))
        )
    }
    org_ids = dict(db.session.execute(select(Organization.hsds_id, Organization.id)).all())
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
    organizations = _apply_organizations(actor, plan_, result, problems)
    _apply_services(actor, plan_, organizations, result, problems)
    if problems:
        raise ImportRefused(problems)
    if result.changed:
        audit.record(AuditAction.CHANGE, object_type="directory_import")
    db.session.flush()
    return result
