"""`flask --app portal bench-data` and the pages `make bench` drives: a small program, generated
as the benchmark's is, renders every bench page for its role, and its rows hold together."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.bench_data import BENCH_PASSWORD
from portal.bench_data.pages import SIGN_INS, bench_pages
from portal.clock import local_date, local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    Case,
    CaseStatus,
    Episode,
    EventSource,
    JusticeEvent,
    JusticeEventKind,
    MonthlyStatus,
    Person,
    Race,
    ReferralStatus,
    Service,
    ServiceKind,
    ServiceReferral,
    TimelineEntry,
    User,
)
from tests.conftest import login

OPEN = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


@pytest.fixture
def program(app, runner):
    result = runner.invoke(
        args=["bench-data", "--cases", "200", "--users", "40", "--attendance", "3000"]
    )
    assert result.exit_code == 0, result.output
    assert BENCH_PASSWORD in result.output
    return result


def test_bench_data_keeps_the_domain_rules(program):
    assert db.session.scalar(select(func.count()).select_from(Case)) == 200
    statuses = set(db.session.scalars(select(Case.status).distinct()))
    assert {CaseStatus.REFERRED, CaseStatus.ACTIVE, CaseStatus.COMPLETED} <= statuses
    # Every case has its timeline; only enrolled participants have services.
    assert (
        db.session.scalar(select(func.count()).where(~Case.id.in_(select(TimelineEntry.case_id))))
        == 0
    )
    enrolled = Case.intake_completed_on.is_not(None)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ServiceReferral)
            .join(Case, Case.id == ServiceReferral.case_id)
            .where(~enrolled)
        )
        == 0
    )
    # Open referrals only for active participants, within each service's places.
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ServiceReferral)
            .join(Case, Case.id == ServiceReferral.case_id)
            .where(ServiceReferral.status.in_(OPEN), Case.status != CaseStatus.ACTIVE)
        )
        == 0
    )
    held = (
        select(func.count())
        .where(ServiceReferral.service_id == Service.id, ServiceReferral.status.in_(OPEN))
        .scalar_subquery()
    )
    for capacity, available, places in db.session.execute(
        select(Service.capacity_max, Service.capacity_available, held)
    ):
        assert available == capacity - places
    # Attendance only while the referral was accepted, never in the future or before intake.
    rows = db.session.execute(
        select(Attendance.session_date, ServiceReferral.status, ServiceReferral.decided_at).join(
            ServiceReferral, ServiceReferral.id == Attendance.service_referral_id
        )
    ).all()
    assert rows
    assert all(status != ReferralStatus.PENDING for _, status, _ in rows)
    assert all(decided.date() < day for day, _, decided in rows)
    # Each accepted stay at an episode service is an episode: admitted, discharged when its
    # referral completed.
    stays = db.session.execute(
        select(ServiceReferral.status, Episode.discharged_on, Episode.admitted_on)
        .join(Service, Service.id == ServiceReferral.service_id)
        .outerjoin(Episode, Episode.service_referral_id == ServiceReferral.id)
        .where(Service.kind == ServiceKind.EPISODE, ServiceReferral.decided_by_id.is_not(None))
        .where(ServiceReferral.status != ReferralStatus.DECLINED)
    ).all()
    assert stays and all(admitted is not None for _, _, admitted in stays)
    assert all(
        (out is not None) == (status == ReferralStatus.COMPLETED) for status, out, _ in stays
    )
    closed = db.session.scalars(select(Case).where(Case.closed_on.is_not(None))).all()
    assert all(c.exit_reason is not None and c.closed_on >= c.referred_at.date() for c in closed)


def test_bench_data_holds_the_evaluation_records(program):
    """Demographics (some never asked, some declined), arrests before the referral and, for
    some participants, after enrollment, and monthly statuses within each participant's time."""
    races = dict(db.session.execute(select(Person.race, func.count()).group_by(Person.race)).all())
    assert races.get(None) and races.get(Race.DECLINED) and races.get(Race.WHITE)
    events = db.session.execute(
        select(JusticeEvent, Case).join(Case, Case.id == JusticeEvent.case_id)
    ).all()
    assert events
    before = {c.id for e, c in events if e.occurred_on < c.referred_at.date()}
    after = {
        c.id
        for e, c in events
        if c.intake_completed_on is not None and e.occurred_on > c.intake_completed_on
    }
    screened = db.session.scalar(select(func.count()).where(Case.status != CaseStatus.REFERRED))
    assert len(before) == screened  # each screened referral: its year before
    enrolled = db.session.scalar(select(func.count()).where(Case.intake_completed_on.is_not(None)))
    assert 0.1 * enrolled < len(after) < 0.45 * enrolled
    for event, case in events:
        assert event.person_id == case.person_id
        assert event.occurred_on <= local_date(event.recorded_at) <= local_today()
        assert event.kind == JusticeEventKind.ARREST or not event.booked
        assert event.booked or event.jail_days == 0
        if event.source == EventSource.OFFICER:  # reported by the referring officer, after it
            assert event.recorded_by_id == case.officer_id and event.agency_id == case.agency_id
            assert event.occurred_on > case.intake_completed_on and event.jail_days == 0
    statuses = db.session.execute(
        select(MonthlyStatus, Case).join(Case, Case.id == MonthlyStatus.case_id)
    ).all()
    assert statuses
    per_case: dict[int, int] = {}
    for status, case in statuses:
        assert case.intake_completed_on is not None
        assert status.month.day == 1
        assert status.month >= case.intake_completed_on.replace(day=1)
        assert status.month <= (case.closed_on or local_today())
        assert case.intake_completed_on <= local_date(status.recorded_at) <= local_today()
        per_case[case.id] = per_case.get(case.id, 0) + 1
    assert max(per_case.values()) <= 12
    assert len(per_case) == enrolled  # every participant from the month of intake


def test_every_bench_page_renders_for_its_role(app, client, program):
    with app.test_request_context():
        pages = bench_pages()
    assert {p.role for p in pages} == set(SIGN_INS)
    for role, email in SIGN_INS.items():
        user = db.session.scalar(select(User).where(User.email == email))
        client = app.test_client()  # one browser a role (the fixture chose its class)
        login(client, user, BENCH_PASSWORD)
        for page in (p for p in pages if p.role == role):
            response = client.get(page.path, headers=page.headers)
            assert response.status_code == 200, (role, page.name, page.path)


@pytest.mark.real_commits  # a second app, with its own connection
def test_queries_are_counted_only_when_asked_for(app, client):
    assert "X-Query-Count" not in client.get("/login").headers
    counting = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "COUNT_QUERIES": True,
        }
    )
    response = counting.test_client().get("/healthz")
    assert response.status_code == 200
    assert int(response.headers["X-Query-Count"]) >= 2  # the health check reads and writes
    assert counting.test_client().get("/login").headers["X-Query-Count"] == "0"
    with counting.app_context():
        db.engine.dispose()


@pytest.mark.real_commits  # the profiler runs an app of its own on the same database
def test_the_costliest_query_of_every_bench_page_is_explained(app, runner):
    from bench import queries

    result = runner.invoke(
        args=["bench-data", "--cases", "60", "--users", "30", "--attendance", "600"]
    )
    assert result.exit_code == 0, result.output
    db.session.remove()
    found = queries.profile(app.config["SQLALCHEMY_DATABASE_URI"], repeat=1)
    with app.test_request_context():
        assert [(p["role"], p["page"]) for p in found] == [(p.role, p.name) for p in bench_pages()]
    for page in found:
        assert page["statements"] >= 1, page
        assert page["costliest_sql"].upper().startswith(("SELECT", "WITH", "UPDATE", "INSERT")), (
            page
        )
        assert page["plan"], page["costliest_sql"]  # the planner's steps
    table = queries.text(found, limit=0)
    assert "EXPLAIN" not in table and found[0]["costliest_sql"] in table
