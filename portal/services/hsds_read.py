"""Reading a directory file (HSDS 3.0) and checking it whole: against the schema, then
against what our columns can hold and what the directory already has. Every problem found is
listed (its JSON path and why); `plan` returns what the file asks, in our columns' terms.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models import Organization, Service, ServiceCategory, ServiceKind, ServiceSchedule
from portal.services import directory, hsds
from portal.services.directory_checks import LIMITS
from portal.services.errors import DomainError
from portal.services.hsds_schema import Problem, schema_problems

TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
TERM_LINKS = {hsds.CATEGORY: ServiceCategory, hsds.KIND: ServiceKind}


class ImportRefused(DomainError):
    """The file was refused; `problems` says where and why, every one of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"The file was refused: {len(problems)} problem(s).")
        self.problems = problems


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


TEXT_MAX = 4000  # a description's or eligibility's limit (the directory's forms say so too)


def _check_lengths(values: dict, where: dict[str, str], problems: list[Problem]) -> None:
    """What our columns cannot hold, found with the rest of the file's problems (the
    directory's services would say the same, one at a time)."""
    for key, path in where.items():
        value = values.get(key)
        limit = LIMITS.get(key, TEXT_MAX)
        if key == "name" and not value:
            problems.append(Problem(path, "a name is needed"))
        elif value and len(value) > limit:
            problems.append(Problem(path, f"Use at most {limit:,} characters."))


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
    where = {key: f"{path}.{key}" for key in ("name", "description", "email", "website")}
    where |= {"phone": f"{path}.phones[0].number", "address": f"{path}.locations[0].addresss[0]"}
    _check_lengths(values, where, problems)
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
    values = {
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
    where = {"name": f"{path}.name", "description": f"{path}.description"}
    _check_lengths(values, where, problems)
    _check_lengths(values, {"eligibility": f"{path}.eligibility_description"}, problems)
    return values


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
