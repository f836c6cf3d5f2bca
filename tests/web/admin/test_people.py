"""A case manager enters a referral that came to the office, sees every referral of a person on
the person page, decides on a second open referral at screening, and merges two records."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Case, CaseStatus, Person, RecipientKind, ReferralType
from portal.services import cases
from tests.conftest import post

DOB = dt.date(1979, 9, 30)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _referral(f, first="Dustin", last="Meadows", dob=DOB, **kw) -> Case:
    person = f.PersonFactory(first_name=first, last_name=last, dob=dob)
    return f.CaseFactory(person=person, **kw)


def _form(**kw) -> dict:
    values = {
        "first_name": "Dustin",
        "last_name": "Meadows",
        "dob": DOB.isoformat(),
        "referral_type": "family",
        "source_name": "Donna Meadows, mother",
        "source_contact": "304-555-0142",
        "source_note": "Called the office.",
        "submission_key": "0b8f3c1e-2d4a-4f6b-8c9d-1e2f3a4b5c6d",
    }
    return {**values, **kw}


@pytest.fixture
def manager(f, login_as):
    user = f.case_manager(name="Casey Manager")
    login_as(user)
    return user


def test_the_office_referral_form_offers_the_office_types(client, manager):
    html = client.get("/admin/referrals/new").get_data(as_text=True)
    for label in ("Community referral", "Family referral", "Self-referral", "Phone call"):
        assert label in html
    assert "Arrest diversion" not in html
    assert '<label class="usa-label" for="source_name">Who referred the person</label>' in html
    assert 'href="/admin/referrals/new"' in html  # the menu links it


def test_a_case_manager_enters_a_family_referral_into_the_queue(client, manager):
    response = post(client, "/admin/referrals/new", _form(), page="/admin/referrals/new")
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert response.headers["Location"].endswith(f"/admin/cases/{case.id}")
    assert (case.referral_type, case.officer_id, case.entered_by_id) == (
        ReferralType.FAMILY,
        None,
        manager.id,
    )
    page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "entered by Casey Manager" in page
    assert "Donna Meadows, mother (304-555-0142)" in page
    queue = client.get("/admin/").get_data(as_text=True)
    assert "Family referral: Donna Meadows, mother" in queue


def test_a_referral_without_its_source_is_refused_beside_the_field(client, manager):
    response = post(
        client, "/admin/referrals/new", _form(source_name="  "), page="/admin/referrals/new"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="source_name-error"' in html and "Enter who referred the person." in html
    assert (_count(Case), _count(Person)) == (0, 0)


def test_a_family_referral_of_a_person_with_a_closed_referral_shows_both(client, manager, f):
    """Done when: a case manager enters a family referral and sees the person page with an
    earlier closed referral."""
    earlier = _referral(f, completed=True)
    db.session.commit()

    asked = post(client, "/admin/referrals/new", _form(), page="/admin/referrals/new")
    assert asked.status_code == 422
    assert "This person may already be on record" in asked.get_data(as_text=True)
    assert _count(Case) == 1

    chosen = post(
        client,
        "/admin/referrals/new",
        _form(person_choice=str(earlier.id)),
        page="/admin/referrals/new",
    )
    assert chosen.status_code == 302
    new = db.session.scalar(select(Case).where(Case.id != earlier.id))
    assert new.person_id == earlier.person_id

    case_page = client.get(f"/admin/cases/{new.id}").get_data(as_text=True)
    assert f'href="/admin/people/{earlier.person_id}"' in case_page
    person_page = client.get(f"/admin/people/{earlier.person_id}").get_data(as_text=True)
    for case in (earlier, new):
        assert f'href="/admin/cases/{case.id}"' in person_page
    assert "Completed" in person_page and "Referred" in person_page
    assert "Family referral" in person_page
    # Newest first.
    assert person_page.index(f"/admin/cases/{new.id}") < person_page.index(
        f"/admin/cases/{earlier.id}"
    )


def test_a_second_open_referral_is_marked_and_needs_a_decision(client, manager, f):
    first = _referral(f, accepted=True)
    second = f.CaseFactory(person=first.person)
    db.session.commit()

    queue = client.get("/admin/").get_data(as_text=True)
    assert "Another open referral" in queue
    page = client.get(f"/admin/cases/{second.id}").get_data(as_text=True)
    assert 'id="open-elsewhere"' in page and f'href="/admin/cases/{first.id}"' in page
    assert escape(cases.DUPLICATE_REASON) in page  # offered as a decline reason
    assert "Accept anyway" in page

    url = f"/admin/cases/{second.id}/accept"
    refused = post(client, url, {"version": str(second.version)}, page=f"/admin/cases/{second.id}")
    assert refused.status_code == 422
    assert "Decline this one as a duplicate" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, second.id).status == CaseStatus.REFERRED

    declined = post(
        client,
        f"/admin/cases/{second.id}/decline",
        {"version": str(second.version), "reason": cases.DUPLICATE_REASON},
        page=f"/admin/cases/{second.id}",
    )
    assert declined.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, second.id).decline_reason == cases.DUPLICATE_REASON


def test_accepting_a_second_open_referral_with_the_confirmation(client, manager, f):
    first = _referral(f, accepted=True)
    second = f.CaseFactory(person=first.person)
    db.session.commit()
    accepted = post(
        client,
        f"/admin/cases/{second.id}/accept",
        {"version": str(second.version), "confirm_duplicate": "y"},
        page=f"/admin/cases/{second.id}",
    )
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, second.id).status == CaseStatus.ACCEPTED


def test_the_officer_is_not_told_of_the_other_referral(client, login_as, f):
    officer = f.officer()
    first = _referral(f, accepted=True)
    second = f.CaseFactory(person=first.person, officer=officer)
    cases.decline_referral(second, f.case_manager(), cases.DUPLICATE_REASON)
    login_as(officer)
    html = client.get(f"/officer/referrals/{second.id}").get_data(as_text=True)
    assert "Declined" in html
    assert "Duplicate" not in html and "open referral" not in html


def test_a_merge_by_the_person_page_confirmed_or_undone(client, manager, f):
    kept = _referral(f, completed=True)
    other = _referral(f, first="D.")
    db.session.commit()
    other_person_id = other.person_id
    page = client.get(f"/admin/people/{kept.person_id}").get_data(as_text=True)
    merge_url = f"/admin/people/{kept.person_id}/merge/{other.person_id}"
    assert f'action="{merge_url}"' in page

    merged = post(client, merge_url, page=f"/admin/people/{kept.person_id}")
    assert merged.status_code == 302
    page = client.get(f"/admin/people/{kept.person_id}").get_data(as_text=True)
    assert "waiting for confirmation" in page and f"/admin/cases/{other.id}" in page
    other_page = client.get(f"/admin/people/{other.person_id}").get_data(as_text=True)
    assert "Merged, waiting for confirmation" in other_page

    undo = f"/admin/people/{other.person_id}/merge/undo"
    assert post(client, undo, page=f"/admin/people/{kept.person_id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, other.person_id).merged_into_id is None

    post(client, merge_url, page=f"/admin/people/{kept.person_id}")
    confirm = f"/admin/people/{other.person_id}/merge/confirm"
    confirmed = post(client, confirm, page=f"/admin/people/{kept.person_id}")
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith(f"/admin/people/{kept.person_id}")
    db.session.expire_all()
    assert db.session.get(Person, other_person_id) is None
    assert db.session.get(Case, other.id).person_id == kept.person_id


def test_merging_a_record_into_itself_is_refused_with_a_message(client, manager, f):
    kept = _referral(f)
    db.session.commit()
    url = f"/admin/people/{kept.person_id}/merge/{kept.person_id}"
    refused = post(client, url, page=f"/admin/people/{kept.person_id}")
    assert refused.status_code == 422
    assert "cannot be merged into itself" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, kept.person_id).merged_into_id is None


def test_a_missing_person_is_404(client, manager):
    assert client.get("/admin/people/999999").status_code == 404


def test_an_officer_named_by_consent_reads_an_office_referral(client, login_as, f):
    """A case without an officer: the officer a consent names reads it as the office's."""
    officer = f.officer()
    case = cases.refer_person(
        f.case_manager(),
        cases.ReferralData(
            first_name="Dana",
            last_name="Price",
            dob=DOB,
            referral_type=ReferralType.SELF,
            source_name="Dana Price, the person",
        ),
    )
    f.ConsentFactory(
        case=case,
        recipient_kind=RecipientKind.OFFICER,
        recipient_agency_id=None,
        recipient_officer_id=officer.id,
        signed_on=local_today() - dt.timedelta(days=1),
    )
    login_as(officer)
    response = client.get(f"/officer/referrals/{case.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "by the program office" in html and "Self-referral" in html
