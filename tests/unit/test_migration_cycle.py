"""Every migration goes up, all the way down and up again, on an empty database and on one full
of the demo program, on SQLite and (when the suite runs there) PostgreSQL; after each upgrade
the schema matches the models (`flask db check`).

The demo-filled cycle is the operator's path of issue 12's first finding: on SQLite a downgrade
with data failed with "FOREIGN KEY constraint failed" and left `_alembic_tmp_users` behind.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, func, inspect, select

from portal.demo import program
from portal.extensions import db
from portal.models import Case, User
from tests.unit.test_exit_migration import fresh_app  # noqa: F401 - the fixture, both engines


def _tables() -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _check() -> None:
    """`flask db check`: autogenerate finds nothing between the migrated schema and the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def _at_base() -> None:
    """Nothing left of the schema but Alembic's bookkeeping (no `_alembic_tmp_*` leftovers)."""
    assert _tables() <= {"alembic_version"}


def _cycle() -> None:
    db.session.remove()
    downgrade(revision="base")
    _at_base()
    upgrade()
    _check()


def test_an_empty_database_goes_up_down_and_up_again(fresh_app):  # noqa: F811
    upgrade()
    _check()
    _cycle()


def test_a_database_full_of_demo_data_goes_up_down_and_up_again(fresh_app):  # noqa: F811
    upgrade()
    _check()
    program.seed()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Case)) > 0
    db.session.remove()

    _cycle()

    # Up again: an empty schema that takes the demo program afresh.
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    program.seed()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Case)) > 0


@pytest.mark.parametrize("fresh_app", ["sqlite"], indirect=True)
def test_a_sqlite_downgrade_with_data_fails_when_foreign_keys_are_enforced(fresh_app, monkeypatch):  # noqa: F811
    """Proves the cycle above can fail: with enforcement left on during batch rebuilds (as
    before the fix in migrations/env.py, which turns it off), the first downgrade that rebuilds
    a table other rows refer to breaks."""
    upgrade()
    program.seed()
    db.session.commit()
    db.session.remove()

    real = Connection.exec_driver_sql

    def keep_keys_on(self, statement, *args, **kwargs):
        if statement == "PRAGMA foreign_keys=OFF":
            statement = "PRAGMA foreign_keys=ON"
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", keep_keys_on)
    with pytest.raises(Exception, match="FOREIGN KEY constraint failed"):
        downgrade(revision="base")
