"""The compliance migration seeds the rules as the code's defaults, and goes down and up again."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from portal.services import compliance

BEFORE = "a8c1d2e3f4a5"


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _seeded() -> dict:
    return {r.code: (r.enabled, r.parameter) for r in compliance.ordered_rules()}


def test_the_rules_are_seeded_with_the_defaults_and_survive_down_and_up(fresh_app):
    upgrade()
    assert _seeded() == compliance.DEFAULT_RULES
    db.session.remove()
    downgrade(revision=BEFORE)
    tables = set(inspect(db.engine).get_table_names())
    assert not tables & {"compliance_rules", "compliance_flags"}
    upgrade()
    assert _seeded() == compliance.DEFAULT_RULES
