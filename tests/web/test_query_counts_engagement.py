"""The matching screen and the admin case page run a fixed number of queries, however many
services, timeline entries, referrals or contacts there are."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from portal.clock import local_today
from portal.extensions import db
from portal.models import CaseStatus, ContactKind, ServiceCategory, ServiceSchedule, TimelineKind
from portal.services import assessments, referrals
from portal.services.timeline import add_entry
from tests.unit.test_assessments import assess

CATEGORIES = list(ServiceCategory)


def queries_for(client, url: str, headers: dict | None = None) -> int:
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers=headers or {})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return len(statements)


def add_services(f, n: int, start: int = 0) -> list:
    services = []
    for i in range(start, start + n):
        service = f.ServiceFactory(
            name=f"Service {i:03}",
            category=CATEGORIES[i % len(CATEGORIES)],
            min_age=18 if i % 3 else None,
            by_appointment=False,
        )
        service.schedules = [
            ServiceSchedule(weekday=i % 7, opens_at=dt.time(9), closes_at=dt.time(11)),
            ServiceSchedule(weekday=(i + 3) % 7, opens_at=dt.time(13), closes_at=dt.time(15)),
        ]
        services.append(service)
    db.session.flush()
    return services


def test_matching_screen_queries_do_not_grow_with_services(f, login_as):
    admin = f.admin()
    case = f.CaseFactory(status=CaseStatus.ACTIVE)
    assess(case, admin, housing="high", substance_use="moderate")
    first = add_services(f, 3)
    referrals.assign_service(case, first[0], admin)
    client = login_as(admin)
    url = f"/admin/cases/{case.id}/matching"
    few_page, few_fragment = (
        queries_for(client, url),
        queries_for(client, url, {"HX-Request": "true"}),
    )
    more = add_services(f, 27, start=3)
    for service in more[:5]:
        referrals.assign_service(case, service, admin)
    assert queries_for(client, url) == few_page
    assert queries_for(client, url, {"HX-Request": "true"}) == few_fragment


def fill_case(f, case, admin, n: int) -> None:
    """n timeline entries by n different people, n contacts, n service referrals."""
    for i in range(n):
        actor = f.admin()
        add_entry(case, TimelineKind.CASE_UPDATED, actor, {"summary": f"change {i}"})
        assessments.record_contact(case, actor, local_today(), ContactKind.PHONE, f"call {i}")
        service = f.ServiceFactory(name=f"Provider service {case.id}-{i}")
        referral = referrals.assign_service(case, service, admin)
        if i % 2:
            referrals.accept_service_referral(referral, admin)
    db.session.flush()


def test_admin_case_page_queries_do_not_grow_with_its_timeline(f, login_as):
    admin = f.admin()
    small = f.CaseFactory(status=CaseStatus.ACTIVE)
    large = f.CaseFactory(status=CaseStatus.ACTIVE)
    for case, n in ((small, 3), (large, 30)):
        assess(case, admin, housing="high")
        assess(case, admin, substance_use="high")
        fill_case(f, case, admin, n)
    client = login_as(admin)
    assert queries_for(client, f"/admin/cases/{small.id}") == queries_for(
        client, f"/admin/cases/{large.id}"
    )
    htmx = {"HX-Request": "true"}
    assert queries_for(client, f"/admin/cases/{small.id}/timeline", htmx) == queries_for(
        client, f"/admin/cases/{large.id}/timeline", htmx
    )
