"""Every bounded list runs the same number of queries with 3 rows as with 30 (more than a page:
PAGE_SIZE is 5 in tests), on its first page and on the next."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.clock import local_today
from portal.extensions import db
from portal.models import AttendanceStatus, CaseStatus, Contact, ContactKind
from portal.services import attendance
from tests.web.paging import next_link
from tests.web.test_query_counts_cases import _queries
from tests.worlds import provider_world


def _both_pages(client, url: str) -> tuple[int, int | None]:
    """Queries of the first page, and of the next one when there is one."""
    first = _queries(client, url)
    following = next_link(client.get(url).get_data(as_text=True))
    return first, (_queries(client, following) if following else None)


def _office(f, login_as):
    admin = f.admin()
    login_as(admin)
    return admin


def _cases(f, n, who):
    for _ in range(n):
        f.CaseFactory()
        f.CaseFactory(status=CaseStatus.ACCEPTED)


def _assigned_cases(f, n, who):
    """Cases of every kind, a third each the signed-in case manager's, a colleague's and
    nobody's, the accepted ones with contacts."""
    for i in range(n):
        manager = (who, f.case_manager(), None)[i % 3]
        manager_id = manager.id if manager is not None else None
        f.CaseFactory(case_manager_id=manager_id)
        accepted = f.CaseFactory(status=CaseStatus.ACCEPTED, case_manager_id=manager_id)
        for days in range(i % 3):
            db.session.add(
                Contact(
                    case_id=accepted.id,
                    staff_id=who.id,
                    contacted_on=local_today() - dt.timedelta(days=days),
                    kind=ContactKind.OUTREACH_ATTEMPT,
                )
            )


def _officer_cases(f, n, who):
    for _ in range(n):
        f.CaseFactory(officer=who)


def _users(f, n, who):
    for _ in range(n):
        f.officer()
        f.provider()


def _agencies(f, n, who):
    for _ in range(n):
        f.AgencyFactory()


def _organizations(f, n, who):
    for _ in range(n):
        f.ServiceFactory(by_appointment=False)


def _services(f, n, who):
    for _ in range(n):
        f.ServiceFactory()


OFFICE_LISTS = [
    ("/admin/", _cases),
    ("/admin/cases", _cases),
    ("/admin/cases?status=referred", _cases),
    ("/admin/?cm=mine", _assigned_cases),
    ("/admin/cases?cm=none", _assigned_cases),
    ("/admin/outreach", _assigned_cases),
    ("/admin/outreach?cm=mine", _assigned_cases),
    ("/admin/caseload", _assigned_cases),
    ("/admin/users", _users),
    ("/admin/agencies", _agencies),
    ("/admin/organizations", _organizations),
]


def _grow_to(f, grow, who, n, made):
    grow(f, n - made[0], who)
    made[0] = n


@pytest.mark.parametrize(("url", "grow"), OFFICE_LISTS)
def test_office_lists_cost_the_same_with_3_and_30_rows(client, login_as, f, url, grow):
    admin = _office(f, login_as)
    made = [0]
    _grow_to(f, grow, admin, 3, made)
    few = _both_pages(client, url)
    _grow_to(f, grow, admin, 30, made)
    many = _both_pages(client, url)
    assert few[0] == many[0], url
    assert many[1] is None or many[1] == many[0], url


def test_matching_costs_the_same_with_3_and_30_services(client, login_as, f):
    _office(f, login_as)
    case = f.CaseFactory(active=True)
    url = f"/admin/cases/{case.id}/matching"
    _services(f, 3, None)
    few = _queries(client, url)
    _services(f, 27, None)
    assert _queries(client, url) == few == _queries(client, f"{url}?page=3")


def test_my_referrals_cost_the_same_with_3_and_30_rows(client, login_as, f):
    officer = f.officer()
    login_as(officer)
    _officer_cases(f, 3, officer)
    few = _both_pages(client, "/officer/referrals")
    _officer_cases(f, 27, officer)
    many = _both_pages(client, "/officer/referrals")
    assert few[0] == many[0] == many[1]


def _participants(world, n):
    while len(world.made) < n:
        world.participant(accept=len(world.made) % 2 == 0)


def test_the_roster_and_a_session_cost_the_same_with_3_and_30_participants(client, login_as, f):
    world = provider_world(f)
    login_as(world.staff)
    session = f"/provider/sessions/{world.service.id}/{local_today().isoformat()}"
    _participants(world, 3)
    few = (_both_pages(client, "/provider/"), _both_pages(client, session))
    _participants(world, 30)
    roster, day = _both_pages(client, "/provider/"), _both_pages(client, session)
    assert roster[0] == roster[1] == few[0][0]
    assert day[0] == day[1] == few[1][0]
    assert _queries(client, "/provider/?q=zz") <= few[0][0]  # nothing found: fewer


def test_a_participants_page_costs_the_same_with_3_and_30_attendance_rows(client, login_as, f):
    world = provider_world(f)
    referral = world.participant()
    login_as(world.staff)
    url = f"/provider/participants/{referral.case_id}"

    def attend(days):
        for n in days:
            day = local_today() - dt.timedelta(days=n)
            attendance.record_attendance(referral, day, AttendanceStatus.ATTENDED, world.staff)

    attend(range(3))
    few = _queries(client, url)
    attend(range(3, 30))
    page, older = _both_pages(client, url)
    assert few == page == older


def test_the_audit_trail_costs_the_same_with_6_and_30_events(client, login_as, f):
    """A page's extra lookups depend on the kinds of events on it (a bounded few), not on their
    number: both counts are taken on pages full of the same kind."""
    from tests.web.admin.test_audit import _event

    _office(f, login_as)
    for _ in range(6):
        _event(user_id=f.officer().id)
    few = _queries(client, "/admin/audit")
    for _ in range(24):
        _event(user_id=f.officer().id)
    many = _both_pages(client, "/admin/audit")
    assert few == many[0] == many[1], (few, many)
