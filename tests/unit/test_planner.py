"""The planner's statistics (`flask analyze`) and queries that find their index without them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from portal.extensions import db
from portal.policy import one_case_scope
from portal.services.inbox import unread_count

# ANALYZE runs on a connection of its own: no outer test transaction around it.
pytestmark = pytest.mark.real_commits


def test_analyze_refreshes_the_planner_statistics(runner):
    result = runner.invoke(args=["analyze"])
    assert result.exit_code == 0, result.output
    assert "statistics refreshed" in result.output
    if db.engine.dialect.name == "sqlite":
        analysed = db.session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        )
        assert analysed == 1


def test_the_unread_count_reads_the_unread_index_on_sqlite(f, monkeypatch):
    """The busiest officer has thousands of read notifications and a few unread: the count must
    walk the partial index of unread rows, not all of theirs (chosen with no statistics too)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics (autovacuum); the plan is SQLite's")
    officer = f.officer()
    db.session.commit()
    captured = []
    monkeypatch.setattr(db.session, "scalar", lambda statement: captured.append(statement) or 0)
    unread_count(officer)
    monkeypatch.undo()
    steps = _sqlite_plan(captured[0])
    assert "ix_notifications_unread" in steps, steps


def _sqlite_plan(statement) -> str:
    compiled = statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return " / ".join(row[-1] for row in plan)


def test_a_providers_case_is_checked_by_its_own_referrals(f):
    """Opening one participant checks that case's referrals, not a list of every case the
    organisation ever had (LIST SUBQUERY: tens of thousands of ids at a statewide program)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan asserted is SQLite's")
    provider = f.provider()
    db.session.commit()
    steps = _sqlite_plan(one_case_scope(provider, 1))
    assert "LIST SUBQUERY" not in steps, steps
    assert "ix_service_referrals_case" in steps, steps


def test_postgresql_connections_compile_no_jit():
    """A page's statements are short: JIT compilation (on by default above a cost estimate)
    cost the queue's possible-match check 30 of its 40 ms."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
