"""The database layer: migrations match the models, SQLite pragmas, lazy loads that raise."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import joinedload

from portal import create_app
from portal.extensions import db
from portal.models import Case


def test_models_and_migrations_agree():
    # The test database was built by running the migrations (see conftest), never create_all().
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_comparison_sees_a_model_the_migrations_lack():
    # Proves the test above can fail: a table only the models know of is reported.
    models = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(models)
    Table("not_migrated", models, Column("id", Integer, primary_key=True))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models)
    assert [d[0] for d in differences] == ["add_table"]


def test_the_database_is_at_the_latest_migration(app):
    heads = set(ScriptDirectory(app.extensions["migrate"].directory).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    assert current == heads
    assert len(heads) == 1  # one line of migrations: parallel branches must be merged


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "unit-test")
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        db.engine.dispose()


def test_lazy_loads_are_on_in_tests(app):
    assert app.config["RAISE_ON_LAZY_LOAD"] is True


def test_a_lazy_relationship_load_raises(f):
    case_id = f.CaseFactory().id
    db.session.commit()
    db.session.expunge_all()  # nothing left in the identity map to answer from

    case = db.session.scalar(select(Case).where(Case.id == case_id))
    with pytest.raises(InvalidRequestError):
        _ = case.person
    with pytest.raises(InvalidRequestError):
        _ = case.officer


def test_an_eager_load_does_not_raise(f):
    case_id = f.CaseFactory().id
    db.session.commit()
    db.session.expunge_all()
    case = db.session.scalar(
        select(Case).where(Case.id == case_id).options(joinedload(Case.person))
    )
    assert case.person.last_name == "Doe"
