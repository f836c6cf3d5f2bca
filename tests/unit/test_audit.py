"""The audit trail below the web layer: rows with their transaction, append-only, pruned."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, AuditOutcome, Case, utcnow
from portal.services import audit
from portal.services.settings import get_settings


def _event(at: dt.datetime | None = None, object_id: int = 1) -> int:
    result = db.session.execute(
        insert(AuditEvent)
        .values(
            at=at or utcnow(),
            action=AuditAction.VIEW_RECORD,
            object_type="probe",
            object_id=object_id,
            outcome=AuditOutcome.OK,
        )
        .returning(AuditEvent.id)
    )
    return result.scalar_one()


def _rows(**criteria) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in criteria.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- written with their transaction -------------------------------------------------------------


def test_a_commit_writes_the_rows_of_its_changes(f):
    case = f.CaseFactory()
    assert _rows(object_type="cases") == []  # flushed, not committed: nothing yet
    db.session.commit()
    (row,) = _rows(object_type="cases")
    assert (row.action, row.object_id, row.case_id) == (AuditAction.CREATE, case.id, case.id)
    assert (row.user_id, row.role, row.ip_address) == (None, None, None)  # no request


def test_a_rollback_drops_the_rows_of_what_it_undid(f):
    db.session.commit()
    f.CaseFactory()
    audit.record(AuditAction.EXPORT)
    db.session.rollback()
    db.session.commit()
    assert [(r.action, r.object_type, r.user_id, r.ip_address) for r in _rows()] == []


def test_a_rolled_back_savepoint_drops_only_its_own_rows(f):
    kept = f.CaseFactory()
    with db.session.begin_nested() as nested:
        f.AgencyFactory()
        db.session.flush()
        nested.rollback()
    db.session.commit()
    assert {r.object_type for r in _rows()} >= {"cases"}
    assert [r.object_id for r in _rows(object_type="cases")] == [kept.id]
    assert len(_rows(object_type="agencies")) == 1  # the case's officer's agency, not the other


def test_the_rows_of_a_change_name_its_case(f):
    referral = f.ServiceReferralFactory()
    db.session.commit()
    (row,) = _rows(object_type="service_referrals")
    assert row.case_id == referral.case_id


def test_audit_rows_cannot_be_changed_through_the_orm():
    _event()
    row = db.session.scalar(select(AuditEvent))
    row.object_id = 99
    with pytest.raises(audit.AppendOnly):
        db.session.flush()
    db.session.rollback()


# --- the database refuses edits -----------------------------------------------------------------


def _refused(statement) -> str:
    """Run `statement` in a savepoint; the database's refusal message."""
    with pytest.raises(DBAPIError) as refusal, db.session.begin_nested():
        db.session.execute(statement)
    return str(refusal.value.orig)


def test_the_database_refuses_to_update_an_audit_row():
    row_id = _event()
    message = _refused(update(AuditEvent).where(AuditEvent.id == row_id).values(user_id=7))
    assert "append-only" in message
    assert db.session.scalar(select(AuditEvent.user_id).where(AuditEvent.id == row_id)) is None


def test_the_database_refuses_to_delete_a_recent_audit_row():
    row_id = _event()
    assert "append-only" in _refused(delete(AuditEvent).where(AuditEvent.id == row_id))
    assert db.session.get(AuditEvent, row_id) is not None


def test_postgres_refuses_even_old_rows_without_the_prune_flag():
    if not _is_postgres():
        pytest.skip("SQLite has no session settings: its trigger lets old rows go without a flag")
    row_id = _event(at=utcnow() - dt.timedelta(days=3000))
    assert "append-only" in _refused(delete(AuditEvent).where(AuditEvent.id == row_id))


def test_postgres_refuses_recent_rows_even_with_the_prune_flag():
    if not _is_postgres():
        pytest.skip("the prune flag is a PostgreSQL session setting")
    row_id = _event()
    db.session.execute(text("SELECT set_config('portal.audit_prune', 'on', true)"))
    try:
        assert "append-only" in _refused(delete(AuditEvent).where(AuditEvent.id == row_id))
        assert "append-only" in _refused(update(AuditEvent).values(user_id=1))
    finally:
        db.session.execute(text("SELECT set_config('portal.audit_prune', 'off', true)"))


# --- retention ----------------------------------------------------------------------------------


def test_prune_deletes_only_rows_older_than_the_retention():
    days = get_settings().audit_retention_days
    assert days == 2190
    old = _event(at=utcnow() - dt.timedelta(days=days + 1), object_id=1)
    kept = _event(at=utcnow() - dt.timedelta(days=days - 1), object_id=2)
    assert audit.prune() == 1
    assert [r.id for r in _rows(object_type="probe")] == [kept]
    assert db.session.get(AuditEvent, old) is None


def test_prune_follows_the_retention_setting():
    get_settings().audit_retention_days = 3000
    db.session.flush()
    _event(at=utcnow() - dt.timedelta(days=2500))
    assert audit.prune() == 0
    assert len(_rows(object_type="probe")) == 1


def test_the_prune_flag_does_not_outlive_the_prune():
    if not _is_postgres():
        pytest.skip("the prune flag is a PostgreSQL session setting")
    audit.prune()
    assert db.session.scalar(text("SELECT current_setting('portal.audit_prune', true)")) == "off"


def test_the_prune_command_deletes_old_rows_and_says_how_many(runner):
    _event(at=utcnow() - dt.timedelta(days=2200))
    _event(at=utcnow() - dt.timedelta(days=2300))
    _event()
    db.session.commit()
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0, result.output
    assert "2 audit rows older than the retention deleted." in result.output
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_a_case_change_is_not_audited_as_anything_else(f):
    case = f.CaseFactory()
    db.session.commit()
    db.session.get(Case, case.id).offences = "Trespass"
    db.session.commit()
    assert [r.action for r in _rows(object_type="cases")] == [
        AuditAction.CREATE,
        AuditAction.CHANGE,
    ]
