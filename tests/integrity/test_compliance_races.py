"""Evaluators at the same instant (cron on two hosts, an event during the nightly check) raise
one flag per breach: real commits, real threads, on whichever engine the suite runs (SQLite by
default, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from portal.cli import check_all
from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Case,
    ComplianceFlag,
    FlagStatus,
    RuleCode,
    Service,
    TimelineEntry,
    TimelineKind,
)
from portal.services import compliance
from tests.conftest import csrf_token, login
from tests.integrity.concurrent import Answer, post_together, same_session

CASES = 12


def _together(app, *works) -> list[str]:
    """Run each work in its own thread and app context, released together; report outcomes."""
    barrier = threading.Barrier(len(works))
    outcomes = [""] * len(works)

    def run(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                works[index]()
                outcomes[index] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported to the assertion
                db.session.rollback()
                outcomes[index] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    db.session.expire_all()
    return outcomes


def _overdue_cases(f) -> list[int]:
    deadline = local_today() - dt.timedelta(days=4)
    ids = [f.CaseFactory(accepted=True, intake_deadline=deadline).id for _ in range(CASES)]
    f.CaseFactory(accepted=True)  # not overdue
    db.session.commit()
    return ids


def _flags_per_case() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(ComplianceFlag.case_id, func.count(ComplianceFlag.id)).group_by(
                ComplianceFlag.case_id
            )
        ).all()
    )


def test_two_evaluators_at_once_raise_one_flag_per_breach(app, f):
    ids = _overdue_cases(f)
    lines: list[list[str]] = [[], []]
    raised: list[tuple[int, int]] = []

    def evaluator(index: int):
        return lambda: raised.append(check_all(5, lines[index].append))

    outcomes = _together(app, evaluator(0), evaluator(1))
    assert outcomes == ["ok", "ok"], outcomes
    assert _flags_per_case() == dict.fromkeys(ids, 1)
    assert sum(r for r, _ in raised) == CASES  # each flag counted by the run that raised it
    statuses = set(db.session.scalars(select(ComplianceFlag.status)))
    assert statuses == {FlagStatus.OPEN}
    # A progress line per batch of five open cases (thirteen cases: three batches).
    assert all(sum(line.startswith("cases ") for line in out) == 3 for out in lines), lines


def test_an_event_during_the_nightly_check_raises_no_second_flag(app, f):
    ids = _overdue_cases(f)

    def events():
        for case_id in reversed(ids):
            compliance.evaluate_case(db.session.get(Case, case_id))
            db.session.commit()

    outcomes = _together(app, lambda: check_all(3, lambda _line: None), events)
    assert outcomes == ["ok", "ok"], outcomes
    assert _flags_per_case() == dict.fromkeys(ids, 1)
    rules = set(db.session.scalars(select(ComplianceFlag.rule)))
    assert rules == {RuleCode.INTAKE_DEADLINE}


def test_running_the_command_again_raises_nothing_new(app, f, runner):
    ids = _overdue_cases(f)
    first = runner.invoke(args=["check-compliance", "--batch-size", "4"])
    second = runner.invoke(args=["check-compliance"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert f"Done: {CASES} flag(s) raised" in first.output
    assert "Done: 0 flag(s) raised" in second.output
    assert first.output.count("\ncases ") == 4  # thirteen open cases, four per batch
    assert _flags_per_case() == dict.fromkeys(ids, 1)


def test_a_double_clicked_confirm_closes_the_case_once(app, client, f):
    """Two confirms of one flag arriving at the same instant (a double click): one applies."""
    service = f.ServiceFactory(capacity_max=3, capacity_available=3)
    case = f.CaseFactory(active=True)
    f.ServiceReferralFactory(case=case, service=service, accepted=True)
    admin = f.admin()
    rule = compliance.get_rules()[RuleCode.NO_CONTACT]
    rule.enabled = True
    compliance.evaluate_case(case)
    flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))
    db.session.commit()
    login(client, admin)
    token = csrf_token(client, "/admin/review")
    data = {"csrf_token": token, "version": str(flag.version)}
    tabs = same_session(app, client, 2)
    answers = post_together(
        app,
        [(tab, f"/admin/review/{flag.id}/confirm", data, {"HX-Request": "true"}) for tab in tabs],
    )
    assert all(isinstance(a, Answer) for a in answers), answers
    assert sorted(a.status for a in answers)[0] == 200
    assert sorted(a.status for a in answers)[1] in (409, 422), [a.status for a in answers]
    stored = db.session.get(Case, case.id)
    assert stored.status.value == "non_compliant"
    kinds = db.session.scalars(
        select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id)
    ).all()
    assert kinds.count(TimelineKind.CASE_NON_COMPLIANT) == 1
    assert kinds.count(TimelineKind.SERVICE_ENDED) == 1
    assert db.session.get(Service, service.id).capacity_available == 3
