"""The migration to coded exit reasons loses no words, and back; the held charge's filing date
is backfilled from the incident's local date.

Run on a fresh SQLite file, and on PostgreSQL too when the suite runs there (in a schema of
its own, dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from types import SimpleNamespace

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    column,
    select,
    table,
    text,
)
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.extensions import db
from tests import factories

BEFORE = "a8c1d2e3f4a5"  # the last revision with free-text exit reasons
CODED = "e9a1b2c3d4e5"  # the coded exit reasons (later revisions add columns `then` lacks)

# The cases table as that revision has it (the columns these rows need).
then = table(
    "cases",
    column("id", Integer),
    column("person_id", Integer),
    column("officer_id", Integer),
    column("agency_id", Integer),
    column("referral_type", String),
    column("offences", Text),
    column("statutes", Text),
    column("eligibility", JSON),
    column("notes", Text),
    column("status", String),
    column("occurred_at", DateTime),
    column("referred_at", DateTime),
    column("intake_deadline", Date),
    column("closed_on", Date),
    column("exit_reason", String),
    column("version", Integer),
    column("updated_at", DateTime),
)

# (status, the free text of that time) -> (code, note) after the upgrade.
EXITS = [
    ("completed", "Completed the program", "completed", ""),
    ("completed", "Met service plan goals", "completed", "Met service plan goals"),
    ("completed", "completed", "completed", "completed"),
    ("withdrawn", "Moved away", "moved_away", ""),
    (
        "withdrawn",
        "MOVED to Ohio to live with family",
        "moved_away",
        "MOVED to Ohio to live with family",
    ),
    ("withdrawn", "Deceased", "died", "Deceased"),
    ("withdrawn", "Participant died in March", "died", "Participant died in March"),
    ("withdrawn", "Withdrew", "withdrew", ""),
    ("withdrawn", "withdrawn at own request", "withdrew", "withdrawn at own request"),
    ("withdrawn", "Removed by the court", "other", "Removed by the court"),
    ("withdrawn", "Entered treatment out of county", "other", "Entered treatment out of county"),
    ("withdrawn", None, "withdrew", ""),
    ("active", None, None, ""),
]


def _engines() -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return ["sqlite", "postgresql"] if url.startswith("postgresql") else ["sqlite"]


@pytest.fixture(params=_engines())
def fresh_app(request, tmp_path, monkeypatch):
    """An app over an empty database of its own, to run the migrations from scratch."""
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    config = {"TESTING": True}
    schema = None
    if request.param == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/m.db"
    else:
        url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        schema = f"migration_{uuid.uuid4().hex[:12]}"
        config["SQLALCHEMY_DATABASE_URI"] = url
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={schema}"}
        }
    app = create_app(config)
    with app.app_context():
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield app
        finally:
            db.session.remove()
            if schema:
                with db.engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            db.engine.dispose()


USERS_THEN = table(
    "users",
    column("id", Integer),
    column("email", String),
    column("name", String),
    column("role", String),
    column("agency_id", Integer),
    column("password_hash", String),
    column("session_token", String),
    column("active", Boolean),
    column("failed_logins", Integer),
    column("created_at", DateTime),
)


def _officer_then() -> SimpleNamespace:
    """An officer as the users table was then (one session token per user, see hb1a2b3c4d5e)."""
    agency = factories.AgencyFactory()
    user_id = db.session.execute(
        USERS_THEN.insert()
        .values(
            email="then@example.org",
            name="Officer Then",
            role="officer",
            agency_id=agency.id,
            password_hash="x",
            session_token=uuid.uuid4().hex,
            active=True,
            failed_logins=0,
            created_at=_utc(2026, 1, 1),
        )
        .returning(USERS_THEN.c.id)
    ).scalar_one()
    return SimpleNamespace(id=user_id, agency_id=agency.id)


PERSONS_THEN = table(
    "persons",
    column("id", Integer),
    column("first_name", String),
    column("last_name", String),
    column("aliases", Text),
    column("dob", Date),
    column("created_at", DateTime),
)


def _person_then() -> SimpleNamespace:
    """A person as the persons table was then (later revisions add columns)."""
    person_id = db.session.execute(
        PERSONS_THEN.insert()
        .values(
            first_name="Pat",
            last_name="Doe",
            aliases="",
            dob=dt.date(1990, 4, 28),
            created_at=_utc(2026, 1, 1),
        )
        .returning(PERSONS_THEN.c.id)
    ).scalar_one()
    return SimpleNamespace(id=person_id)


def _utc(*args) -> dt.datetime:
    return dt.datetime(*args)  # naive UTC, as the columns store it


def _case(person, officer, status, reason, referral_type="social_contact", **kw) -> dict:
    return {
        "person_id": person.id,
        "officer_id": officer.id,
        "agency_id": officer.agency_id,
        "referral_type": referral_type,
        "offences": "",
        "statutes": "",
        "eligibility": {},
        "notes": "",
        "status": status,
        "occurred_at": kw.get("occurred_at"),
        "referred_at": kw.get("referred_at", _utc(2026, 1, 5, 15, 0)),
        "intake_deadline": dt.date(2026, 2, 4),
        "closed_on": dt.date(2026, 3, 1) if status in ("completed", "withdrawn") else None,
        "exit_reason": reason,
        "version": 1,
        "updated_at": _utc(2026, 3, 1, 15, 0),
    }


TYPES = {"exit_reason": String, "exit_note": Text, "charge_file_by": Date}


def _rows(*names) -> list[tuple]:
    """These columns of every case, in order, typed (SQLite returns dates as text otherwise)."""
    columns = [column(name, TYPES[name]) for name in names]
    query = select(*columns).select_from(table("cases")).order_by(column("id"))
    return [tuple(r) for r in db.session.execute(query)]


def test_free_text_exits_become_codes_without_loss_and_go_back(fresh_app):
    upgrade(revision=BEFORE)
    officer = _officer_then()
    person = _person_then()
    rows = [_case(person, officer, status, reason) for status, reason, _, _ in EXITS]
    db.session.execute(then.insert(), rows)
    db.session.commit()
    db.session.remove()

    upgrade()
    coded = [(code, note) for _, _, code, note in EXITS]
    assert _rows("exit_reason", "exit_note") == coded

    db.session.remove()
    downgrade(revision=BEFORE)
    # Every text comes back as it was (a closed case without one now says how it ended).
    texts = [
        reason or ("Withdrew" if status == "withdrawn" else None) for status, reason, *_ in EXITS
    ]
    assert _rows("exit_reason") == [(t,) for t in texts]

    db.session.remove()
    upgrade()
    assert _rows("exit_reason", "exit_note") == coded


def test_a_downgrade_keeps_the_words_of_exits_coded_after_the_upgrade(fresh_app):
    upgrade(revision=CODED)  # the cases table as this migration leaves it
    officer = _officer_then()
    person = _person_then()
    added = [
        ("withdrawn", "moved_away", ""),
        ("withdrawn", "moved_away", "To family in Ohio"),
        ("withdrawn", "other", "Entered treatment out of county"),
        ("completed", "completed", ""),
    ]
    for status, code, note in added:
        db.session.execute(then.insert(), [_case(person, officer, status, code)])
        db.session.execute(
            text("UPDATE cases SET exit_note = :note WHERE id = (SELECT max(id) FROM cases)"),
            {"note": note},
        )
    db.session.commit()
    db.session.remove()

    downgrade(revision=BEFORE)
    assert _rows("exit_reason") == [
        ("Moved away",),
        ("Moved away: To family in Ohio",),
        ("Entered treatment out of county",),
        ("Completed the program",),
    ]


def test_the_upgraded_column_holds_codes_only(fresh_app):
    upgrade(revision=CODED)
    officer = _officer_then()
    person = _person_then()
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(then.insert(), [_case(person, officer, "withdrawn", "Moved away")])
    db.session.rollback()


def test_arrest_diversions_get_their_filing_date_from_the_incidents_local_date(fresh_app):
    upgrade(revision=BEFORE)
    officer = _officer_then()
    person = _person_then()
    rows = [
        # 02:30 UTC on March 10 is the evening of March 9 in Fayette County.
        _case(
            person,
            officer,
            "accepted",
            None,
            "arrest_diversion",
            occurred_at=_utc(2026, 3, 10, 2, 30),
        ),
        # No incident time: the referral's local date (July 1, 03:00 UTC is June 30 there).
        _case(
            person,
            officer,
            "referred",
            None,
            "arrest_diversion",
            referred_at=_utc(2026, 7, 1, 3, 0),
        ),
        _case(person, officer, "referred", None, "social_contact"),
    ]
    db.session.execute(then.insert(), rows)
    db.session.commit()
    db.session.remove()

    upgrade()
    assert _rows("charge_file_by") == [
        (dt.date(2027, 3, 9),),
        (dt.date(2027, 6, 30),),
        (None,),
    ]
    assert db.session.execute(text("SELECT charge_filing_days FROM program_settings")).all() == [
        (365,)
    ]
