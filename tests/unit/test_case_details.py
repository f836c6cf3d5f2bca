"""Editing a referral's details: saved with an entry, or refused when the copy is stale."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.models import Case, CaseStatus, TimelineEntry, TimelineKind
from portal.services.case_details import CaseDetails, update_case_details
from portal.services.errors import Conflict, NotPermitted


def test_changes_saved_with_an_entry_naming_the_fields(f):
    admin, case = f.admin(), f.CaseFactory(status=CaseStatus.ACTIVE, incident_number="A-1")
    version = case.version
    wanted = CaseDetails.of(case, case.person)
    wanted = CaseDetails(**{**wanted.__dict__, "incident_number": "A-2", "phone": "555-0100"})
    changed = update_case_details(case, case.person, admin, wanted, version)
    assert changed == ["incident_number", "phone"]
    assert case.incident_number == "A-2" and case.person.phone == "555-0100"
    assert case.version == version + 1  # a person-only change would still move the version
    entry = db.session.scalar(select(TimelineEntry).where(TimelineEntry.case_id == case.id))
    assert entry.kind == TimelineKind.CASE_UPDATED
    assert entry.payload["summary"] == "Changed: incident number, phone"


def test_nothing_changed_writes_nothing(f):
    admin, case = f.admin(), f.CaseFactory()
    same = CaseDetails.of(case, case.person)
    assert update_case_details(case, case.person, admin, same, case.version) == []
    assert db.session.scalar(select(TimelineEntry.id)) is None


def test_stale_version_refused(f):
    admin, case = f.admin(), f.CaseFactory(location="Main St")
    wanted = CaseDetails(**{**CaseDetails.of(case, case.person).__dict__, "location": "Elm St"})
    with pytest.raises(Conflict):
        update_case_details(case, case.person, admin, wanted, case.version - 1)
    with pytest.raises(NotPermitted):
        update_case_details(case, case.person, f.officer(), wanted, case.version)
    assert case.location == "Main St"


@pytest.mark.real_commits  # a second connection writes meanwhile
def test_concurrent_write_detected_by_the_version_column(f):
    """Between reading the version and writing, another request saved: StaleDataError."""
    admin, case = f.admin(), f.CaseFactory(location="Main St")
    db.session.commit()
    version = case.version
    with db.engine.begin() as other:
        other.execute(
            update(Case).where(Case.id == case.id).values(location="Oak St", version=version + 1)
        )
    wanted = CaseDetails(**{**CaseDetails.of(case, case.person).__dict__, "location": "Elm St"})
    with pytest.raises(StaleDataError):
        update_case_details(case, case.person, admin, wanted, version)
    db.session.rollback()
    assert db.session.get(Case, case.id).location == "Oak St"
