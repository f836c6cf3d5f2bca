"""The audit viewer: administrators only, filtered, keyset-paged; reading and exporting it are
themselves audited; the export streams."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import event, insert, select

from portal.clock import local_date
from portal.extensions import db
from portal.models import AuditAction, AuditEvent, AuditOutcome, utcnow
from tests.web.admin.helpers import text


def _event(**values) -> None:
    row = {
        "at": utcnow(),
        "user_id": None,
        "role": None,
        "ip_address": "10.0.0.9",
        "action": AuditAction.VIEW_RECORD,
        "object_type": "probe",  # apart from the rows the factories' commits write
        "object_id": None,
        "case_id": None,
        "outcome": AuditOutcome.OK,
    }
    row.update(values)
    db.session.execute(insert(AuditEvent).values(**row))


def _ids(html: str) -> list[str]:
    """The object ids of the test's rows listed (shown as '#<id>' in the Record column)."""
    return re.findall(r'data-label="Record">probe #(\d+)<', html)


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_other_roles_cannot_read_or_export_the_trail(client, login_as, f, role):
    login_as(getattr(f, role)())
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_the_admin_nav_links_the_trail(client, acting_admin):
    assert 'href="/admin/audit"' in text(client.get("/admin/settings"))


def test_reading_the_trail_is_audited(client, acting_admin):
    assert client.get("/admin/audit").status_code == 200
    db.session.expire_all()
    newest = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert (newest.action, newest.user_id) == (AuditAction.VIEW_AUDIT, acting_admin.id)


def test_the_trail_shows_who_opened_a_participants_record(client, login_as, f):
    case = f.CaseFactory()
    officer = db.session.get(type(case.officer), case.officer_id)
    login_as(officer)
    client.get(f"/officer/referrals/{case.id}")
    client.post("/logout", data={"csrf_token": _token(client, "/officer/referrals")})
    admin = f.admin()
    login_as(admin)
    html = text(client.get(f"/admin/audit?case={case.id}&action=view_record"))
    assert officer.email in html
    assert f"#{case.id}" in html


def _token(client, url):
    from tests.conftest import csrf_token

    return csrf_token(client, url)


def test_filters_by_user_participant_action_and_dates(client, acting_admin, f):
    other = f.officer()
    case = f.CaseFactory()
    sibling = f.CaseFactory(person=case.person)
    long_ago = utcnow() - dt.timedelta(days=40)
    _event(user_id=other.id, object_id=1, case_id=case.id)
    _event(user_id=other.id, object_id=2, case_id=sibling.id, at=long_ago)
    _event(user_id=acting_admin.id, object_id=3, case_id=None, action=AuditAction.CHANGE)
    _event(user_id=acting_admin.id, object_id=4, case_id=case.id, action=AuditAction.CHANGE)
    db.session.commit()

    def shown(query: str) -> list[str]:
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 200
        return _ids(text(response))

    assert shown(f"user={other.email.upper()}") == ["2", "1"]
    assert shown(f"case={case.id}") == ["4", "1"]
    assert shown(f"person={case.person_id}&action=view_record") == ["2", "1"]
    assert shown(f"person={case.person_id}&action=change") == ["4"]
    assert shown("action=change") == ["4", "3"]
    recent = local_date(utcnow() - dt.timedelta(days=5)).isoformat()  # dates are local
    assert shown(f"user={other.email}&since={recent}") == ["1"]
    assert shown(f"user={other.email}&until={recent}") == ["2"]
    old = (local_date(long_ago) - dt.timedelta(days=1)).isoformat()
    assert shown(f"user={other.email}&since={old}&until={local_date(long_ago)}") == ["2"]
    assert shown(f"user={other.email}&until={old}") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("user=nobody@example.org", "No user has this e-mail address."),
        ("case=abc", "Enter a number, as shown on the record"),
        ("case=99999999999999", "Enter a number, as shown on the record"),
        ("since=31/12/2026", "Enter a date such as 2026-03-31."),
        ("since=2026-03-02&until=2026-03-01", "The end date must be on or after the start date."),
    ],
)
def test_bad_filters_get_a_message_and_match_nothing(client, acting_admin, query, message):
    _event(object_id=1)
    db.session.commit()
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert message in text(response)
    assert _ids(text(response)) == []


def test_keyset_pages_without_offset(client, acting_admin):
    # PAGE_SIZE is 5 in tests: twelve events make three pages.
    for i in range(12):
        _event(object_id=100 + i, action=AuditAction.EXPORT)
    db.session.commit()
    offsets: list = []
    keyset = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("SELECT audit_events.id"):
            return
        keyset.append("audit_events.id <" in statement)
        if "OFFSET" in statement.upper():  # SQLite's dialect always writes one, as 0
            values = parameters if isinstance(parameters, tuple | list) else [*parameters.values()]
            offsets.append(values[-1])

    seen: list[str] = []
    url = "/admin/audit?action=export"
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        while url:
            html = text(client.get(url))
            seen += _ids(html)
            older = re.search(r'href="([^"]+)"><span class="usa-pagination__link-text">Older', html)
            url = older.group(1).replace("&amp;", "&") if older else None
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert seen == [str(100 + i) for i in reversed(range(12))]
    assert keyset == [False, True, True]
    assert set(offsets) <= {0}


def test_the_export_streams_csv_and_is_audited(client, acting_admin):
    _event(object_id=7, ip_address="=cmd|' /C calc'!A0")
    db.session.commit()
    response = client.get("/admin/audit.csv?action=view_record")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(text(response))))
    assert [r["object_id"] for r in rows] == ["7"]
    assert rows[0]["ip_address"].startswith("'=")  # not run as a formula by a spreadsheet
    db.session.expire_all()
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
    assert exported is not None and exported.user_id == acting_admin.id


def test_the_export_reads_the_whole_trail_in_batches(client, acting_admin, monkeypatch):
    from portal.services import audit

    monkeypatch.setattr(audit, "EXPORT_BATCH", 3)
    for i in range(8):
        _event(object_id=200 + i, action=AuditAction.DELETE)
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(text(client.get("/admin/audit.csv?action=delete")))))
    assert [r["object_id"] for r in rows] == [str(200 + i) for i in reversed(range(8))]
