"""Reading a page never writes: every GET route, as each role, sends no INSERT, UPDATE or DELETE.

Two exceptions, named here and nowhere else: the audit trail's row of what the page showed
(a participant's record, the trail itself), a single INSERT into `audit_events`; and, at most
once a minute, when the signed-in session was last seen (`user_sessions.last_seen_at`).
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
from flask import url_for
from sqlalchemy import event, func, select

from portal.clock import local_today
from portal.demo.program import DEMO_PASSWORD, seed
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    Consent,
    Organization,
    Person,
    ProgramSettings,
    Service,
    ServiceKind,
    User,
)
from tests.conftest import login

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# The one write a GET makes on purpose: recording what it disclosed (42 CFR 2.25).
RECORDS = re.compile(r"^\s*INSERT INTO disclosures\b", re.IGNORECASE)
AUDIT_ROW = re.compile(r"^\s*INSERT INTO audit_events\b", re.IGNORECASE)
SEEN = re.compile(r"^\s*UPDATE user_sessions SET last_seen_at=\S+ WHERE", re.IGNORECASE)
# What each path parameter is filled with (the first row of the table; a day for the sessions).
IDS = {
    "agency_id": Agency,
    "case_id": Case,
    "consent_id": Consent,
    "organization_id": Organization,
    "person_id": Person,
    "service_id": Service,
    "user_id": User,
}
ROLES = {
    "admin": "admin@lead.example.org",
    "officer": "deputy.hall@fcso.example.org",
    "provider": "staff@fmrs.example.org",
}


@contextmanager
def recorded_writes():
    """The data-changing statements sent to the database inside the block."""
    writes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement) and not RECORDS.match(statement) and not SEEN.match(statement):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _get(client, url: str):
    """GET `url`, failing if it wrote anything (what the test set up is committed first)."""
    db.session.commit()
    with recorded_writes() as writes:
        response = client.get(url)
    audit_rows = [w for w in writes if AUDIT_ROW.match(w)]
    assert len(audit_rows) <= 1, f"GET {url} wrote its audit rows in several statements"
    assert [w for w in writes if not AUDIT_ROW.match(w)] == [], f"GET {url} wrote: {writes}"
    return response


def _urls(app, prefix: str) -> list[str]:
    """Every GET route under `prefix`, its parameters filled with rows that exist."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(prefix):
            continue
        values = {}
        for argument in rule.arguments:
            if argument == "day":
                values[argument] = (local_today() - dt.timedelta(days=7)).isoformat()
            elif argument == "key":  # a report's table
                values[argument] = sorted(rule._converters[argument].items)[0]
            else:
                model = IDS[argument]
                query = select(func.min(model.id))
                if model is Service:  # one with sessions (an episode's session page redirects)
                    query = query.where(Service.kind == ServiceKind.SCHEDULED)
                values[argument] = db.session.scalar(query)
        urls.append(rule.rule if not values else _build(app, rule.endpoint, values))
    return sorted(urls)


def _build(app, endpoint: str, values: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def test_the_settings_row_exists_before_anyone_asks(client, f):
    # The migration (and, in tests, the reset after each test) creates it; no page has to.
    assert db.session.scalar(select(func.count()).select_from(ProgramSettings)) == 1
    admin = f.admin()
    db.session.commit()
    login(client, admin)
    response = _get(client, "/admin/settings")
    assert response.status_code == 200
    assert "The person is 18 or older" in response.get_data(as_text=True)


def test_the_referral_form_reads_the_checklist_without_writing(client, f):
    officer = f.officer()
    db.session.commit()
    login(client, officer)
    response = _get(client, "/officer/referrals/new")
    assert response.status_code == 200
    assert "The person is 18 or older" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_get_route_writes(app, client, role):
    seed()
    db.session.commit()
    user = db.session.scalar(select(User).where(User.email == ROLES[role]))
    login(client, user, DEMO_PASSWORD)
    answered = {url: _get(client, url).status_code for url in _urls(app, f"/{role}/")}
    answered["/"] = _get(client, "/").status_code
    assert not [url for url, status in answered.items() if status >= 500]
    # Most pages really rendered (a 404 for an id out of the role's scope writes nothing either).
    assert sum(status == 200 for status in answered.values()) >= len(answered) // 2, answered


@pytest.mark.parametrize("email", ["evaluator@lead.example.org", "casemanager@lead.example.org"])
def test_the_office_duties_home_pages_write_nothing(client, email):
    seed()
    db.session.commit()
    login(client, db.session.scalar(select(User).where(User.email == email)), DEMO_PASSWORD)
    assert _get(client, "/admin/reports").status_code == 200
    assert _get(client, "/").status_code == 302
