"""The compliance review queue costs the same number of queries whatever its length: each
flag's case, person, recent timeline and contacts come in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import ContactKind
from portal.services import compliance
from portal.services.assessments import record_contact
from tests.web.test_query_counts_cases import _queries


def _flagged_cases(f, admin, n: int) -> None:
    """n overdue referrals, each with a few contacts (and their timeline entries)."""
    for _ in range(n):
        case = f.CaseFactory(
            accepted=True,
            referred_at=utcnow() - dt.timedelta(days=40),
            intake_deadline=local_today() - dt.timedelta(days=5),
        )
        for days in range(3):
            record_contact(
                case, admin, local_today() - dt.timedelta(days=days), ContactKind.OUTREACH_ATTEMPT
            )
        compliance.evaluate_case(case)
    db.session.flush()


def test_review_queue_costs_the_same_with_1_and_5_flags(client, login_as, f):
    admin = f.admin()
    login_as(admin)
    _flagged_cases(f, admin, 1)
    with_one = _queries(client, "/admin/review")
    _flagged_cases(f, admin, 4)
    with_five = _queries(client, "/admin/review")
    html = client.get("/admin/review").get_data(as_text=True)
    assert html.count('class="portal-panel portal-flag"') == 5
    assert html.count("Outreach attempt") == 15
    assert with_one == with_five
    assert with_five <= 7, with_five
