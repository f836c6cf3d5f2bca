"""Editing a referral's details answers correctly in every status the form is offered in.

The details form is on the case page whatever the status; the referral fragment it answers with
shows the intake deadline's days left while the case is referred or accepted. Each answer
(saved, refused beside the field, stale copy) is checked in each status, and a refusal stores
nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseStatus, TimelineEntry, TimelineKind
from portal.services.case_details import CaseDetails, update_case_details
from tests.conftest import post

STATUSES = list(CaseStatus)


def _entries(case_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(TimelineEntry)
        .where(TimelineEntry.case_id == case_id, TimelineEntry.kind == TimelineKind.CASE_UPDATED)
    )


def _form(case: Case, version: int | None = None, **changes) -> dict:
    data = {
        "details-version": str(case.version if version is None else version),
        "details-incident_number": case.incident_number or "",
        "details-offences": case.offences,
        "details-statutes": case.statutes,
        "details-location": case.location or "",
        "details-notes": case.notes,
        "details-phone": case.person.phone or "",
        "details-aliases": case.person.aliases or "",
    }
    return data | {f"details-{k}": v for k, v in changes.items()}


@pytest.fixture
def case_in(f, login_as):
    def make(status: CaseStatus):
        admin = f.admin()
        case = f.CaseFactory(status=status, location="Main St")
        client = login_as(admin)
        url = f"/admin/cases/{case.id}"
        assert "Edit referral details" in client.get(url).get_data(as_text=True)
        return client, case, admin, url

    return make


@pytest.mark.parametrize("status", STATUSES, ids=[s.value for s in STATUSES])
def test_saved_details_answer_the_updated_fragment(case_in, status):
    client, case, _, url = case_in(status)
    response = post(client, f"{url}/details", _form(case, location="Elm St"), page=url, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert html.strip().startswith('<div id="referral">')
    assert "Referral details saved." in html
    assert "Elm St" in html
    if status in (CaseStatus.REFERRED, CaseStatus.ACCEPTED):
        assert "days left)" in html  # the deadline line the fragment used to fail on
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assert db.session.get(Case, case.id).location == "Elm St"
    assert _entries(case.id) == 1


@pytest.mark.parametrize("status", STATUSES, ids=[s.value for s in STATUSES])
def test_invalid_details_are_refused_beside_the_field_and_nothing_is_saved(case_in, status):
    client, case, _, url = case_in(status)
    data = _form(case, location="Elm St", incident_number="9" * 41)
    response = post(client, f"{url}/details", data, page=url, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert html.strip().startswith('<div id="referral">')
    assert 'id="details-incident_number-error"' in html
    assert "At most 40 characters." in html
    assert 'value="Elm St"' in html  # what was typed stays in the form
    stored = db.session.get(Case, case.id)
    assert stored.location == "Main St"
    assert stored.incident_number is None
    assert _entries(case.id) == 0


@pytest.mark.parametrize("status", STATUSES, ids=[s.value for s in STATUSES])
def test_details_from_a_stale_copy_are_a_conflict_and_nothing_is_saved(case_in, status):
    client, case, admin, url = case_in(status)
    seen = case.version
    # Someone else saves first.
    theirs = CaseDetails(**{**CaseDetails.of(case, case.person).__dict__, "location": "Oak St"})
    update_case_details(case, case.person, admin, theirs, seen)
    db.session.commit()
    data = _form(case, version=seen, location="Elm St")
    response = post(client, f"{url}/details", data, page=url, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 409, html
    assert "Someone else changed this case" in html
    assert "Your entry differs from them in: location" in html
    assert 'value="Elm St"' in html
    assert db.session.get(Case, case.id).location == "Oak St"
    assert _entries(case.id) == 1  # only theirs


def test_the_pages_versioned_forms_move_on_together(case_in):
    """A save on the case page moves the case's version; the page's other forms carry it on,
    so the administrator's next action is not mistaken for someone else's change."""
    client, case, _, url = case_in(CaseStatus.REFERRED)
    saved = post(client, f"{url}/details", _form(case, location="Elm St"), page=url, htmx=True)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert '<div id="workflow" hx-swap-oob="true">' in html
    assert f'name="version" type="hidden" value="{case.version}"' in html
    data = {"version": str(case.version), "note": ""}
    accepted = post(client, f"{url}/accept", data, page=url, htmx=True)
    html = accepted.get_data(as_text=True)
    assert accepted.status_code == 200, html
    assert '<div id="referral" hx-swap-oob="true">' in html
    assert f'name="details-version" type="hidden" value="{case.version}"' in html
    again = post(client, f"{url}/details", _form(case, location="Oak St"), page=url, htmx=True)
    assert again.status_code == 200
    assert db.session.get(Case, case.id).location == "Oak St"
