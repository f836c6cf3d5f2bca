"""The harness: a unit or web test's commits stay inside its own transaction, rolled back after."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Agency


def _count_elsewhere(name: str) -> int:
    with db.engine.connect() as other:
        return other.execute(
            select(func.count()).select_from(Agency).where(Agency.name == name)
        ).scalar_one()


def test_a_commit_is_a_savepoint_no_other_connection_sees(f):
    f.AgencyFactory(name="Only in this test")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 1
    assert _count_elsewhere("Only in this test") == 0


@pytest.mark.real_commits
def test_a_real_commits_test_commits_for_real(f):
    f.AgencyFactory(name="Committed")
    db.session.commit()
    assert _count_elsewhere("Committed") == 1
