"""The program settings row: made by the migration with the defaults, only ever read by pages."""

from __future__ import annotations

import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, delete, func, insert, select, table, update

from portal import create_app
from portal.extensions import db
from portal.models import ProgramSettings, utcnow
from portal.services.settings import SettingsMissing, default_settings, get_settings

BEFORE = "c6909362ea3a"  # the migration before the one that makes the row


def _values(settings: ProgramSettings) -> tuple:
    return settings.intake_deadline_days, settings.eligibility_items, settings.exclusion_reasons


def _rows() -> list[tuple]:
    # Only the columns this migration knows: later migrations add others to the model.
    columns = (
        ProgramSettings.intake_deadline_days,
        ProgramSettings.eligibility_items,
        ProgramSettings.exclusion_reasons,
    )
    return [tuple(row) for row in db.session.execute(select(*columns).order_by(ProgramSettings.id))]


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    """An app over its own empty SQLite file, to run the migrations from scratch."""
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_migration_creates_the_defaults_row(fresh_app):
    upgrade()
    assert _rows() == [_values(default_settings())]


def test_downgrade_removes_the_defaults_row_and_upgrade_restores_it(fresh_app):
    upgrade()
    db.session.remove()
    downgrade(revision=BEFORE)
    assert _rows() == []
    upgrade()
    assert _rows() == [_values(default_settings())]


def test_downgrade_keeps_rules_an_administrator_changed(fresh_app):
    upgrade()
    db.session.execute(update(ProgramSettings).values(intake_deadline_days=14))
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE)
    assert [days for days, _, _ in _rows()] == [14]


def test_upgrade_keeps_a_row_the_earlier_code_made(fresh_app):
    upgrade(revision=BEFORE)
    kept = default_settings()
    # The columns of that revision only (the model has gained some since).
    then = table(
        "program_settings",
        *(column(name) for name in ("intake_deadline_days", "eligibility_items")),
        *(column(name) for name in ("exclusion_reasons", "updated_at")),
    )
    db.session.execute(
        insert(then).values(
            intake_deadline_days=21,
            eligibility_items=json.dumps(kept.eligibility_items),
            exclusion_reasons=json.dumps(kept.exclusion_reasons),
            updated_at=utcnow().replace(tzinfo=None),
        )
    )
    db.session.commit()
    db.session.remove()
    upgrade()
    assert [days for days, _, _ in _rows()] == [21]


def test_get_settings_reads_without_writing():
    before = _rows()
    assert _values(get_settings()) == _values(default_settings())
    assert not db.session.new and not db.session.dirty
    assert _rows() == before


def test_a_missing_row_is_a_clear_error_not_a_silent_insert():
    db.session.execute(delete(ProgramSettings))
    with pytest.raises(SettingsMissing, match="flask db upgrade"):
        get_settings()
    assert db.session.scalar(select(func.count()).select_from(ProgramSettings)) == 0
