"""Benchmark: what the audit trail costs the officer's pages (the issue asks within 10%).

Usage: .venv/bin/python bench/audit.py [ROUNDS]
(DATABASE_URL picks the engine; default: a temporary SQLite file.)

Measures, as the demo's officer, the median time of
- the case page (`/officer/referrals/<id>`): a view, which writes its audit row and commits;
- the same page polled (`X-Portal-Poll: 1`): the same code, no audit row, so the difference
  is the audit write alone;
- My referrals (`/officer/referrals`): a list, no audit row;
and counts the statements each sends. Requests alternate, so drift hits both sides alike.

To compare with the code before the audit trail, run this same file against that checkout:
`PYTHONPATH=/path/to/before .venv/bin/python bench/audit.py` (the script only uses pages
both versions have; the audit figures then read 0 rows).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import event, inspect, select

from portal import create_app
from portal.demo.program import DEMO_PASSWORD, database_is_empty, seed
from portal.extensions import db

OFFICER = "deputy.hall@fcso.example.org"
LIMIT = 1.10  # the audited view within 10% of the same page without its audit row


def _timed(client, url: str, headers: dict, engine) -> tuple[float, int]:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        t0 = time.perf_counter()
        response = client.get(url, headers=headers)
        elapsed = (time.perf_counter() - t0) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(statements)


def main(rounds: int) -> int:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    # CSRF off for the scripted client only: this measures speed, not security.
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        upgrade()
        if database_is_empty():
            seed()
            db.session.commit()
        from portal.models import Case, User

        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        case_id = db.session.scalar(
            select(Case.id).where(Case.officer_id == officer.id).order_by(Case.id).limit(1)
        )
        engine = db.engine
        audited = inspect(engine).has_table("audit_events")
        db.session.remove()

    client = app.test_client()
    response = client.post("/login", data={"email": OFFICER, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "the demo officer could not sign in"
    pages = {
        "case page (view, audited)": (f"/officer/referrals/{case_id}", {}),
        "case page (poll, no row)": (f"/officer/referrals/{case_id}", {"X-Portal-Poll": "1"}),
        "My referrals": ("/officer/referrals", {}),
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    statements: dict[str, int] = {}
    # Each request in its own app context (its own session), as in production.
    for _ in range(10):  # warm up: templates compiled, connections pooled
        for path, headers in pages.values():
            client.get(path, headers=headers)
    for _ in range(rounds):
        for name, (path, headers) in pages.items():
            elapsed, sent = _timed(client, path, headers, engine)
            timings[name].append(elapsed)
            statements[name] = sent
    rows = 0
    with app.app_context():
        if audited:
            from portal.models import AuditEvent

            rows = db.session.scalar(
                select(db.func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)
            )

    print(f"engine={url.split(':')[0]} rounds={rounds} audit table={'yes' if audited else 'no'}")
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, median in medians.items():
        print(f"  {name:<28} median {median:7.2f} ms  {statements[name]:>2} statements")
    print(f"  view rows of the case written: {rows}")
    ratio = medians["case page (view, audited)"] / medians["case page (poll, no row)"]
    print(f"  audited view / same page without its row: {ratio:.3f} (limit {LIMIT:.2f})")
    ok = ratio <= LIMIT or not audited
    print("OK" if ok else "TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
