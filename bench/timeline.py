"""Benchmark: the first page of a case timeline stays fast with thousands of entries.

Usage: .venv/bin/python bench/timeline.py [ENTRIES]
(DATABASE_URL picks the engine; default: a temporary SQLite file.)
Target: first page (20 entries) in under 25 ms median, and the admin case page in under 150 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time

from flask_migrate import upgrade

from portal import create_app
from portal.demo.program import DEMO_PASSWORD, database_is_empty, seed
from portal.extensions import db
from portal.models import TimelineEntry, TimelineKind, utcnow
from portal.services.timeline import get_timeline

TARGET_MS = 25.0
PAGE_TARGET_MS = 150.0


def main(entries: int) -> int:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    # CSRF off for the scripted client only: this measures speed, not security.
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        upgrade()
        if database_is_empty():
            seed()
        from portal.models import Case, Role, User

        case = db.session.scalar(db.select(Case).order_by(Case.id).limit(1))
        admin = db.session.scalar(db.select(User).where(User.role == Role.ADMIN).limit(1))
        start = utcnow() - dt.timedelta(days=400)
        db.session.execute(
            db.insert(TimelineEntry),
            [
                {
                    "case_id": case.id,
                    "kind": TimelineKind.CONTACT_RECORDED,
                    "actor_id": admin.id,
                    "payload": {"note": f"contact {i}"},
                    "created_at": start + dt.timedelta(minutes=i),
                }
                for i in range(entries)
            ],
        )
        db.session.commit()
        timings = []
        for _ in range(30):
            t0 = time.perf_counter()
            page = get_timeline(case, admin)
            timings.append((time.perf_counter() - t0) * 1000)
            db.session.expire_all()
        first_page = statistics.median(timings)
        assert len(page.entries) == 20 and page.next_cursor

        client = app.test_client()
        client.post(
            "/login",
            data={"email": admin.email, "password": DEMO_PASSWORD},
        )
        page_timings = []
        for _ in range(10):
            t0 = time.perf_counter()
            response = client.get(f"/admin/cases/{case.id}")
            page_timings.append((time.perf_counter() - t0) * 1000)
        page_ms = statistics.median(page_timings)
    print(f"engine={url.split(':')[0]} entries={entries}")
    print(f"timeline first page: median {first_page:.2f} ms (target < {TARGET_MS} ms)")
    print(
        f"admin case page: median {page_ms:.2f} ms, status {response.status_code} "
        f"(target < {PAGE_TARGET_MS} ms)"
    )
    ok = first_page < TARGET_MS and page_ms < PAGE_TARGET_MS and response.status_code == 200
    print("OK" if ok else "TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
