"""The savepoint helper keeps a request atomic on every engine."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.database import savepoint
from portal.extensions import db
from portal.models import Agency

# The helper is about how the engine opens transactions: no outer test transaction around it.
pytestmark = pytest.mark.real_commits


def _agencies() -> int:
    return db.session.scalar(select(func.count()).select_from(Agency))


def test_a_released_savepoint_is_still_rolled_back_with_its_transaction():
    assert _agencies() == 0  # a read first: on SQLite no transaction is open yet
    with savepoint(db.session):
        db.session.add(Agency(name="Inside"))
    db.session.add(Agency(name="After"))
    db.session.flush()
    db.session.rollback()
    assert _agencies() == 0


def test_a_failed_savepoint_leaves_the_transaction_usable():
    db.session.add(Agency(name="Taken"))
    db.session.commit()
    assert _agencies() == 1
    with pytest.raises(IntegrityError), savepoint(db.session):
        db.session.add(Agency(name="Taken"))
    db.session.add(Agency(name="Other"))
    db.session.commit()
    assert _agencies() == 2
