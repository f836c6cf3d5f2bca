"""Benchmark: `flask --app portal check-compliance` on a 100,000-case program.

Usage: .venv/bin/python bench/compliance.py [CASES]
(DATABASE_URL picks the engine and must name an empty, scratch database; default: a temporary
SQLite file.) Every rule is switched on, so each batch runs all three rule queries.
Target: the first run (raising the flags) and a second run (nothing new) each under a minute,
timed as the command runs from cron (a new process: start-up included). PostgreSQL is analysed
after the load, as autovacuum would do; SQLite is left as it is (nothing analyses it).

The cases are bulk-inserted (no services, no timeline): a mix of referred, accepted (intake
deadlines from three weeks ago to three weeks ahead), active (intake, a contact, some with a
service and a run of attendance) and closed cases.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import func, select, update

from portal import create_app
from portal.extensions import db
from portal.models import (
    Agency,
    Attendance,
    AttendanceStatus,
    Case,
    CaseStatus,
    ComplianceFlag,
    ComplianceRule,
    Contact,
    ContactKind,
    Organization,
    Person,
    ReferralStatus,
    ReferralType,
    Role,
    Service,
    ServiceCategory,
    ServiceReferral,
    User,
    utcnow,
)

TARGET_SECONDS = 60.0
CHUNK = 10_000


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert_ids(model, rows: list[dict]) -> list[int]:
    """Bulk insert into an empty table, returning the new ids in the order of the rows."""
    _insert(model, rows)
    return list(db.session.scalars(select(model.id).order_by(model.id)))


def _insert(model, rows: list[dict]) -> None:
    """Core executemany, chunked: no ORM bookkeeping per row."""
    table = model.__table__
    for chunk in _chunks(rows):
        db.session.execute(table.insert(), chunk)


def build(n: int, seed: int = 11) -> None:
    """n cases (and their people, contacts, service referrals and attendance), fast."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, not security
    now = utcnow()
    today = now.date()
    agency = Agency(name="Bench Sheriff", short_name="BS")
    organization = Organization(name="Bench Provider")
    db.session.add_all([agency, organization])
    db.session.flush()
    officer = User(
        email="officer@bench.example.org",
        name="Bench Officer",
        role=Role.OFFICER,
        agency_id=agency.id,
        password_hash="-",  # noqa: S106 - nobody signs in to the bench
    )
    staff = User(email="staff@bench.example.org", name="Staff", role=Role.ADMIN, password_hash="-")  # noqa: S106
    service = Service(
        organization_id=organization.id,
        name="Bench Group",
        category=ServiceCategory.SUPPORT_GROUP,
        capacity_max=n,
        capacity_available=n,
    )
    db.session.add_all([officer, staff, service])
    db.session.flush()

    people = _insert_ids(
        Person,
        [
            {"first_name": f"P{i}", "last_name": "Bench", "dob": dt.date(1980, 1, 1)}
            for i in range(n)
        ],
    )
    plan = []
    for person_id in people:
        roll = rng.random()
        referred = now - dt.timedelta(days=rng.randint(1, 200), hours=rng.randint(0, 23))
        row = {
            "person_id": person_id,
            "officer_id": officer.id,
            "agency_id": agency.id,
            "referral_type": ReferralType.ARREST,
            "referred_at": referred,
            "intake_deadline": today + dt.timedelta(days=rng.randint(-21, 21)),
            "intake_completed_on": None,
            "closed_on": None,
        }
        if roll < 0.1:
            row["status"] = CaseStatus.REFERRED
        elif roll < 0.4:
            row["status"] = CaseStatus.ACCEPTED
        elif roll < 0.8:
            row["status"] = CaseStatus.ACTIVE
            row["intake_completed_on"] = today - dt.timedelta(days=rng.randint(5, 150))
        else:
            row["status"] = rng.choice([CaseStatus.COMPLETED, CaseStatus.WITHDRAWN])
            row["intake_completed_on"] = today - dt.timedelta(days=rng.randint(60, 150))
            row["closed_on"] = today - dt.timedelta(days=rng.randint(1, 50))
        plan.append(row)
    case_ids = _insert_ids(Case, plan)
    active = [cid for cid, row in zip(case_ids, plan, strict=True) if row["status"] == "active"]

    _insert(
        Contact,
        [
            {
                "case_id": cid,
                "staff_id": staff.id,
                "contacted_on": today - dt.timedelta(days=rng.randint(0, 90)),
                "kind": rng.choice(list(ContactKind)),
            }
            for cid in active
        ],
    )
    with_service = active[::4]
    referral_ids = _insert_ids(
        ServiceReferral,
        [
            {
                "case_id": cid,
                "service_id": service.id,
                "status": ReferralStatus.ACCEPTED,
                "created_by_id": staff.id,
                "created_at": now - dt.timedelta(days=60),
            }
            for cid in with_service
        ],
    )
    statuses = list(AttendanceStatus)
    _insert(
        Attendance,
        [
            {
                "service_referral_id": rid,
                "session_date": today - dt.timedelta(days=7 * week),
                "status": rng.choice(statuses),
                "recorded_by_id": staff.id,
                "recorded_at": now,
            }
            for rid in referral_ids
            for week in range(1, 7)
        ],
    )
    db.session.execute(update(ComplianceRule).values(enabled=True))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a load this size: the planner gets row counts.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def _run_command(url: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench")}
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "flask", "--app", "portal", "check-compliance"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stdout


def main(n: int) -> int:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Case)):
            print("DATABASE_URL must name an empty scratch database.")
            return 2
        started = time.perf_counter()
        build(n)
        built = time.perf_counter() - started
    first, output = _run_command(url)
    second, again = _run_command(url)
    with app.app_context():
        flags = db.session.scalar(select(func.count()).select_from(ComplianceFlag))
        by_rule = db.session.execute(
            select(ComplianceFlag.rule, func.count()).group_by(ComplianceFlag.rule)
        ).all()
        db.engine.dispose()
    batches = output.count("\ncases ")
    print(f"engine={url.split(':')[0]} cases={n:,} built in {built:.1f} s")
    print(output.splitlines()[-1])
    print(f"first run: {first:.1f} s, {batches} batches, {flags:,} flags")
    print("  " + ", ".join(f"{rule.value}: {count:,}" for rule, count in by_rule))
    print(f"second run: {second:.1f} s ({again.splitlines()[-1][:40]}...)")
    ok = first < TARGET_SECONDS and second < TARGET_SECONDS and "Done: 0 flag(s)" in again
    print(f"target < {TARGET_SECONDS:.0f} s each: {'OK' if ok else 'TOO SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
