"""The directory as an HSDS 3.0 file: the export is valid against the vendored schema, an
import round-trips, updates by identifier, and refuses a bad file whole."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Organization,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceSchedule,
    ServiceStatus,
)
from portal.services import hsds
from portal.services.directory_checks import COMMAND_LINE
from portal.services.hsds_import import ImportRefused, import_directory, parse
from portal.services.hsds_schema import SCHEMA_DIR, schema_files, schema_problems

LIMIT = 2 * 1024 * 1024
TABLES = ("organizations", "services", "service_schedules")


def build_directory(f):
    """Organisations and services of every kind, with what each may hold."""
    fmrs = f.OrganizationFactory(
        name="FMRS Health Systems",
        description="Detox and crisis stabilisation.",
        phone="(859) 555-0100",
        email="intake@fmrs.example.org",
        website="https://fmrs.example.org",
        address="120 Main Street, Fayetteville, KY 40601",
    )
    health = f.OrganizationFactory(name="Health Department", description="")
    f.OrganizationFactory(name="Closed Shelter", description="Gone.", active=False)
    f.ServiceFactory(
        organization=fmrs,
        name="Crisis stabilisation",
        category=ServiceCategory.CRISIS,
        kind=ServiceKind.EPISODE,
        by_appointment=True,
        admission_criteria=["Actively withdrawing", "Commits to treatment after discharge"],
        capacity_max=12,
        capacity_available=5,
        min_age=18,
        eligibility="Adults in withdrawal.",
    )
    groups = f.ServiceFactory(
        organization=fmrs,
        name="Recovery group",
        category=ServiceCategory.SUPPORT_GROUP,
        kind=ServiceKind.SCHEDULED,
        by_appointment=False,
        capacity_max=20,
        capacity_available=20,
        status=ServiceStatus.TEMPORARILY_CLOSED,
        max_age=99,
    )
    groups.schedules = [
        ServiceSchedule(weekday=0, opens_at=dt.time(18), closes_at=dt.time(19, 30)),
        ServiceSchedule(weekday=3, opens_at=dt.time(18), closes_at=dt.time(19, 30)),
    ]
    clinic = f.ServiceFactory(
        organization=health,
        name="Harm reduction clinic",
        category=ServiceCategory.HARM_REDUCTION,
        kind=ServiceKind.DROP_IN,
        by_appointment=False,
        capacity_max=None,
        capacity_available=0,
    )
    clinic.schedules = [ServiceSchedule(weekday=2, opens_at=dt.time(13), closes_at=dt.time(15))]
    db.session.flush()


def dump_tables() -> dict:
    """Every row of the directory's tables, to compare before and after."""
    return {
        table: db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()  # noqa: S608
        for table in TABLES
    }


def exported() -> dict:
    return json.loads(hsds.dumps(hsds.export_directory()))


def run_import(document) -> list[str]:
    content = json.dumps(document).encode() if not isinstance(document, bytes) else document
    return import_directory(COMMAND_LINE, parse(content, LIMIT)).changes


def refused(document) -> list[str]:
    content = json.dumps(document).encode() if not isinstance(document, bytes) else document
    with pytest.raises(ImportRefused) as caught:
        import_directory(COMMAND_LINE, parse(content, LIMIT))
    db.session.rollback()
    return [str(p) for p in caught.value.problems]


# --- the schema ----------------------------------------------------------------------------------


def test_the_vendored_schema_is_hsds_3_0_0_and_complete():
    files = schema_files()
    assert {"organization.json", "service.json", "schedule.json", "phone.json"} <= set(files)
    refs = {
        ref
        for path in SCHEMA_DIR.glob("*.json")
        for ref in re.findall(r'"\$ref": "([^"]+)"', path.read_text())
    }
    assert "phone.json" in refs
    assert refs <= set(files)  # every $ref resolves to a vendored file: nothing is fetched
    assert (SCHEMA_DIR / "README.md").exists()


def test_the_export_is_valid_hsds(f):
    build_directory(f)
    document = exported()
    assert schema_problems(document) == []
    assert len(document["organizations"]) == 3
    assert len(document["services"]) == 3


def test_the_schema_check_can_fail():
    problems = schema_problems({"organizations": [{"id": "x", "name": 3}], "services": []})
    assert {p.path for p in problems} == {
        "$.organizations[0].name",
        "$.organizations[0].description",
    }


def test_the_export_holds_our_fields(f):
    build_directory(f)
    document = exported()
    fmrs = next(o for o in document["organizations"] if o["name"] == "FMRS Health Systems")
    assert fmrs["phones"][0]["number"] == "(859) 555-0100"
    address = fmrs["locations"][0]["addresss"][0]
    assert address["address_1"] == "120 Main Street, Fayetteville, KY 40601"
    crisis = next(s for s in document["services"] if s["name"] == "Crisis stabilisation")
    links = {a["link_type"]: a for a in crisis["attributes"] if a["link_type"] != hsds.CRITERION}
    assert links[hsds.CATEGORY]["taxonomy_term"]["code"] == "crisis_stabilization"
    assert links[hsds.KIND]["taxonomy_term"]["code"] == "episode"
    assert links[hsds.CAPACITY_MAXIMUM]["value"] == "12"
    assert links[hsds.CAPACITY_AVAILABLE]["value"] == "5"
    assert crisis["minimum_age"] == 18
    group = next(s for s in document["services"] if s["name"] == "Recovery group")
    assert group["status"] == "temporarily closed"
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in group["schedules"]] == [
        ("MO", "18:00", "19:30"),
        ("TH", "18:00", "19:30"),
    ]


# --- round trips ---------------------------------------------------------------------------------


def test_importing_the_export_changes_nothing(f):
    build_directory(f)
    document = exported()
    before = dump_tables()
    assert run_import(document) == []
    db.session.flush()
    assert dump_tables() == before
    # And a second time, the same.
    assert run_import(document) == []
    assert dump_tables() == before


def test_export_import_into_an_empty_directory_export_again(f):
    build_directory(f)
    first = exported()
    db.session.execute(text("DELETE FROM service_schedules"))
    db.session.execute(text("DELETE FROM services"))
    db.session.execute(text("DELETE FROM organizations"))
    db.session.expunge_all()
    changes = run_import(first)
    assert len(changes) == 6  # three organisations, three services created
    db.session.expire_all()
    assert exported() == first
    assert db.session.scalar(select(Organization).where(~Organization.active)).name == (
        "Closed Shelter"
    )


def test_one_phone_edited_is_the_one_change(f):
    build_directory(f)
    document = exported()
    fmrs = next(o for o in document["organizations"] if o["name"] == "FMRS Health Systems")
    fmrs["phones"][0]["number"] = "(859) 555-0199"
    before = dump_tables()
    changes = run_import(document)
    assert changes == [
        "Organisation “FMRS Health Systems”: phone changed from “(859) 555-0100” "
        "to “(859) 555-0199”."
    ]
    after = dump_tables()
    assert after["services"] == before["services"]
    assert after["service_schedules"] == before["service_schedules"]
    organization = db.session.scalar(select(Organization).where(Organization.name.like("FMRS%")))
    assert organization.phone == "(859) 555-0199"
    assert run_import(document) == []  # the same file again: nothing more


def test_a_service_change_is_listed_and_sessions_keep_their_ids(f):
    build_directory(f)
    document = exported()
    group = next(s for s in document["services"] if s["name"] == "Recovery group")
    group["schedules"][1]["opens_at"] = "17:30"
    next(a for a in group["attributes"] if a["link_type"] == hsds.CAPACITY_AVAILABLE)["value"] = (
        "15"
    )
    changes = run_import(document)
    assert changes == [
        "Service “Recovery group”: available places changed from “20” to “15”.",
        "Service “Recovery group”: weekly sessions changed from Mondays 18:00-19:30, "
        "Thursdays 18:00-19:30 to Mondays 18:00-19:30, Thursdays 17:30-19:30.",
    ]
    ids = {s["id"] for s in group["schedules"]}
    assert set(db.session.scalars(select(ServiceSchedule.hsds_id))) >= ids


def test_an_import_is_audited_when_it_changes_something(f):
    build_directory(f)
    document = exported()
    document["organizations"][0]["description"] = "New words."
    run_import(document)
    db.session.commit()
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.object_type)).all()
    assert (AuditAction.CHANGE, "directory_import") in actions
    assert (AuditAction.CHANGE, "organizations") in actions


def test_a_new_service_for_an_existing_organisation(f):
    build_directory(f)
    document = exported()
    new = copy.deepcopy(document["services"][-1])
    new["id"] = "6a0a3c4e-1f57-4bb7-9d0b-0f1f7f3b2a11"
    new["name"] = "Evening clinic"
    for schedule in new["schedules"]:
        schedule["id"] = "0c5d1e8a-3b5c-4a55-8b1f-6e7d3c2b1a00"
        schedule["service_id"] = new["id"]
    document["services"].append(new)
    changes = run_import(document)
    assert changes == ["Service “Evening clinic” of “Health Department” created."]
    service = db.session.scalar(select(Service).where(Service.hsds_id == new["id"]))
    assert service.kind == ServiceKind.DROP_IN


# --- refused files: every problem listed, nothing written -------------------------------------


def _one(document, path):
    """The object at a simple path like services[1]."""
    head, index = path.rstrip("]").split("[")
    return document[head][int(index)]


def test_not_json_and_too_large_are_refused(f):
    assert refused(b"{not json") == [
        "$: not JSON: Expecting property name enclosed in double quotes (line 1, column 2)"
    ]
    assert refused(b"\xff\xfe") == ["$: the file is not UTF-8 text"]
    with pytest.raises(ImportRefused) as caught:
        parse(b" " * 101, 100)
    assert str(caught.value.problems[0]) == "$: the file is larger than 100 bytes"


UNKNOWN = "unknown field (HSDS 3.0 has no such field here)"
ELSEWHERE = "5b7ad2a6-33c3-4bd3-9f60-3a8f1bde0c0e"


def _session(d, **values):
    d["services"][1]["schedules"][0].update(values)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["organizations"][0].update(motto="x"), f"$.organizations[0].motto: {UNKNOWN}"),
        (lambda d: d.update(extra=[]), f"$.extra: {UNKNOWN}"),
        (lambda d: _session(d, colour="red"), f"$.services[1].schedules[0].colour: {UNKNOWN}"),
        (lambda d: d["organizations"][0].pop("name"), "$.organizations[0].name: required field"),
        (lambda d: d["services"][0].pop("status"), "$.services[0].status: required field missing"),
        (lambda d: _session(d, opens_at="25:00"), "schedules[0].opens_at: a time of day as HH:MM"),
        (lambda d: _session(d, opens_at="9am"), "schedules[0].opens_at: a time of day as HH:MM"),
        (lambda d: _session(d, closes_at="17:00"), "closes_at: the session closes before it opens"),
        (lambda d: _session(d, byday="XX"), '.byday: "XX" is not one weekday (MO to SU)'),
        (lambda d: _session(d, freq="MONTHLY"), ".freq: the portal holds weekly sessions only"),
        (lambda d: d["services"][1].update(id=d["services"][0]["id"]),
         "$.services[1].id: the same id as $.services[0].id"),
        (lambda d: d["organizations"][1].update(id="not-a-uuid"),
         '$.organizations[1].id: "not-a-uuid" is not a UUID'),
        (lambda d: d["services"][0].update(organization_id=ELSEWHERE),
         "$.services[0].organization_id: no organisation has this id, in the file or in the"),
        (lambda d: d["organizations"][0].update(name="N" * 121),
         "$.organizations[0].name: Use at most 120 characters."),
        (lambda d: d["services"][0].update(name="N" * 121),
         "$.services[0].name: Use at most 120 characters."),
        (lambda d: d["services"][0]["attributes"][0]["taxonomy_term"].update(code="astrology"),
         '$.services[0].attributes[0].taxonomy_term.code: unknown category "astrology"'),
        (lambda d: d["services"][0].update(minimum_age=-1),
         "$.services[0].minimum_age: -1 is not a whole number of 0 or more"),
        (lambda d: d["services"][0].update(minimum_age="ten"), ".minimum_age: must be a number"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_their_problems_and_change_nothing(f, edit, expected):
    build_directory(f)
    document = exported()
    db.session.commit()
    before = dump_tables()
    edit(document)
    problems = refused(document)
    assert any(expected in p for p in problems), problems
    assert dump_tables() == before


def test_every_problem_is_listed_not_just_the_first(f):
    build_directory(f)
    document = exported()
    document["organizations"][0]["motto"] = "x"
    document["services"][0]["name"] = 12
    problems = refused(document)
    assert len(problems) == 2, problems


def test_a_partly_applied_file_is_rolled_back(f):
    build_directory(f)
    document = exported()
    db.session.commit()
    before = dump_tables()
    document["organizations"][0]["description"] = "Changed, then rolled back."
    # The last service breaks a directory rule only the service layer knows (a drop-in
    # cannot be by appointment with sessions).
    last = document["services"][-1]
    next(a for a in last["attributes"] if a["link_type"] == hsds.BY_APPOINTMENT)["value"] = "true"
    problems = refused(document)
    assert problems == [
        "$.services[2].attributes: A service by appointment has no weekly sessions: remove "
        "them, or untick “By appointment”."
    ]
    assert dump_tables() == before
