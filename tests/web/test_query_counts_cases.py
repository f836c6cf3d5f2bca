"""Lists cost the same number of queries whatever their length (no N+1)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from portal.clock import local_today
from portal.extensions import db
from portal.models import Agency, CaseStatus, utcnow
from portal.services import cases
from tests.conftest import csrf_token


@contextmanager
def count_queries():
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def _queries(client, url: str) -> int:
    db.session.commit()  # what the test set up is written before counting
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _officer_with_cases(f, n: int):
    """An officer with n referrals of their own in varied states, and a colleague's one."""
    officer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    for i in range(n):
        f.CaseFactory(
            officer=officer,
            referred_at=utcnow() - dt.timedelta(hours=i),
            status=list(CaseStatus)[i % 3],  # referred, accepted, declined
        )
    f.CaseFactory(officer=colleague)
    return officer


@pytest.mark.parametrize("url", ["/officer/referrals", "/officer/referrals?status=referred"])
def test_my_referrals_costs_the_same_with_2_and_12_cases(client, login_as, f, url):
    few, many = _officer_with_cases(f, 2), _officer_with_cases(f, 12)
    login_as(few)
    with_two = _queries(client, url)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/officer/referrals")})
    login_as(many)
    with_twelve = _queries(client, url)
    assert with_two == with_twelve
    # With the header's unread count (one bounded, indexed COUNT) and, on the page itself, the
    # counts of the officer's referrals by status (one grouped COUNT).
    assert with_twelve <= 8


def test_admin_queue_costs_the_same_with_2_and_12_cases(client, login_as, f):
    admin = f.admin()
    login_as(admin)
    f.CaseFactory()
    f.CaseFactory(status=CaseStatus.ACCEPTED)
    with_two = _queries(client, "/admin/")

    for _ in range(5):
        f.CaseFactory()
        f.CaseFactory(status=CaseStatus.ACCEPTED)
    with_twelve = _queries(client, "/admin/")

    assert with_two == with_twelve
    # user, settings, a page of each list, their capped counts (one statement), the
    # possible-match and open-referral markers (one statement), the case-manager filter's
    # choices, the navigation's open compliance flags, the step-downs waiting (one statement:
    # the first few and their count), and the session's own bookkeeping
    assert with_twelve <= 10


def test_timeline_costs_the_same_with_few_and_many_entries(client, login_as, f):
    officer, admin = f.officer(), f.admin()
    case = f.CaseFactory(officer=officer)
    login_as(admin)
    url = f"/admin/cases/{case.id}/timeline"
    few = _count_htmx(client, url)
    cases.accept_referral(case, admin)
    cases.complete_intake(case, admin, local_today())
    assert few == _count_htmx(client, url)


def _count_htmx(client, url: str) -> int:
    db.session.commit()
    with count_queries() as statements:
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(statements)


def _similar(f, n: int, case, referrals: int = 2) -> None:
    """n more records with the case's person's birth date and last name, each referred."""
    for _ in range(n):
        person = f.PersonFactory(last_name=case.person.last_name, dob=case.person.dob)
        for _ in range(referrals):
            f.CaseFactory(person=person, officer=f.officer())


SHARED_DOB = dt.date(1990, 4, 28)


def test_the_queue_marks_possible_matches_in_one_query(client, login_as, f):
    login_as(f.admin())
    alone = f.PersonFactory(last_name="Alone")
    f.CaseFactory(person=alone)
    f.CaseFactory(status=CaseStatus.ACCEPTED, person=f.PersonFactory(last_name="Apart"))
    without = _queries(client, "/admin/")

    for _ in range(4):  # ten rows now (a full page of each list), most with possible matches
        f.CaseFactory(person=f.PersonFactory(dob=SHARED_DOB))
        f.CaseFactory(status=CaseStatus.ACCEPTED, person=f.PersonFactory(dob=SHARED_DOB))
    html = client.get("/admin/").get_data(as_text=True)
    assert html.count("Possible match") == 8
    assert _queries(client, "/admin/") == without


def test_the_case_page_costs_the_same_with_few_and_many_possible_matches(client, login_as, f):
    login_as(f.admin())
    case = f.CaseFactory(person=f.PersonFactory(last_name="Carter"))
    _similar(f, 1, case)
    url = f"/admin/cases/{case.id}"
    few = _queries(client, url)
    _similar(f, 15, case, referrals=8)
    assert client.get(url).get_data(as_text=True).count("Link to this person") == 10
    assert _queries(client, url) == few
