"""The officer refers a person and follows their referrals under "My referrals"."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Agency, Case, CaseStatus, Person, TimelineEntry, TimelineKind, utcnow
from portal.policy import OFFICER_FILTERS, officer_status
from portal.services import person_matches
from portal.services.settings import get_settings
from tests.conftest import post
from tests.web.paging import BAD_CURSORS, first_link, next_link

CARD_RE = re.compile(r'class="portal-card__title"><a href="/officer/referrals/(\d+)">')

FORM = {
    "submission_key": str(uuid.uuid4()),  # what the rendered form carries
    "first_name": "Ann",
    "last_name": "Smith",
    "dob": "1990-01-02",
    "referral_type": "social_contact",
    "incident_number": "2026-00042",
    "offences": "Possession of a controlled substance",
    "occurred_on": "2026-01-10",
    "occurred_time": "14:30",
    "location": "Main St, Oak Hill",
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _listed(html: str) -> list[int]:
    return [int(i) for i in CARD_RE.findall(html)]


def _referred(f, officer, days_ago: int, **kw):
    return f.CaseFactory(
        officer=officer, referred_at=utcnow() - dt.timedelta(days=days_ago, hours=1), **kw
    )


def test_new_referral_form_renders_for_an_officer(client, login_as, f):
    login_as(f.officer())
    response = client.get("/officer/referrals/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="first_name"' in html
    assert 'name="viewport"' in html  # phone-first
    # The eligibility checklist comes from the program settings.
    assert "The person is 18 or older" in html


def test_referral_happy_path_redirects_and_lists_it_first(client, login_as, f):
    officer = f.officer()
    older = _referred(f, officer, days_ago=3)
    login_as(officer)

    item = get_settings().eligibility_items[1]
    response = post(client, "/officer/referrals/new", {**FORM, "eligibility": item})

    assert response.status_code == 302
    case = db.session.scalar(select(Case).where(Case.id != older.id))
    assert response.headers["Location"] == f"/officer/referrals/{case.id}"
    assert case.officer_id == officer.id
    assert case.status == CaseStatus.REFERRED
    assert case.incident_number == "2026-00042"
    assert case.eligibility[item] is True
    assert sum(case.eligibility.values()) == 1  # every item answered, only one ticked
    assert len(case.eligibility) == len(get_settings().eligibility_items)
    # 14:30 in Fayette County (EST in January) is 19:30 UTC.
    assert case.occurred_at == dt.datetime(2026, 1, 10, 19, 30, tzinfo=dt.UTC)
    person = db.session.get(Person, case.person_id)
    assert person.full_name == "Ann Smith"
    kinds = db.session.scalars(select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id))
    assert list(kinds) == [TimelineKind.REFERRAL_RECEIVED]

    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ann Smith" in detail
    assert "Referral received by the program" in detail

    listing = client.get("/officer/referrals").get_data(as_text=True)
    assert _listed(listing) == [case.id, older.id]  # newest first
    assert "Ann Smith" in listing


def test_my_referrals_shows_only_my_own(client, login_as, f):
    me = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, me.agency_id))
    mine = _referred(f, me, days_ago=1)
    _referred(f, colleague, days_ago=0)
    login_as(me)
    assert _listed(client.get("/officer/referrals").get_data(as_text=True)) == [mine.id]


def test_my_referrals_is_paginated_newest_first(client, login_as, f):
    officer = f.officer()
    made = [_referred(f, officer, days_ago=d) for d in range(7)]  # made[0] is the newest
    login_as(officer)

    first = client.get("/officer/referrals").get_data(as_text=True)
    second = client.get(next_link(first)).get_data(as_text=True)

    assert _listed(first) == [c.id for c in made[:5]]  # PAGE_SIZE is 5 in tests
    assert _listed(second) == [c.id for c in made[5:]]
    assert next_link(second) is None
    assert first_link(second) == "/officer/referrals"
    assert "7 referrals" in first


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_my_referrals_answers_a_bad_cursor_with_the_first_page(client, login_as, f, cursor):
    officer = f.officer()
    made = [_referred(f, officer, days_ago=d) for d in range(7)]
    login_as(officer)
    response = client.get(f"/officer/referrals?after={cursor}&page=-3")
    assert response.status_code == 200
    assert _listed(response.get_data(as_text=True)) == [c.id for c in made[:5]]


def test_status_filter_shows_only_that_status(client, login_as, f):
    officer = f.officer()
    accepted = _referred(f, officer, days_ago=2, status=CaseStatus.ACCEPTED)
    _referred(f, officer, days_ago=1, status=CaseStatus.REFERRED)
    declined = _referred(f, officer, days_ago=0, status=CaseStatus.DECLINED)
    login_as(officer)

    html = client.get("/officer/referrals?status=accepted").get_data(as_text=True)
    assert _listed(html) == [accepted.id]
    assert '<option value="accepted" selected>' in html
    html = client.get("/officer/referrals?status=declined").get_data(as_text=True)
    assert _listed(html) == [declined.id]
    # An unknown status is ignored rather than failing.
    assert len(_listed(client.get("/officer/referrals?status=bogus").get_data(as_text=True))) == 3


OPTION_RE = re.compile(r'<option value="([^"]+)"')


def test_the_status_filter_offers_only_what_screening_tells_the_officer(client, login_as, f):
    """Without a consent an officer learns what screening decided, and a return for
    non-compliance before intake: the filter offers referred, accepted, declined and returned;
    every later status of an enrolled person (active, completed, withdrawn, non-compliant) is
    within "accepted", and asking for one by name filters nothing."""
    officer = f.officer()
    made = {s: _referred(f, officer, days_ago=i, status=s) for i, s in enumerate(CaseStatus)}
    enrolled_then_returned = made[CaseStatus.NON_COMPLIANT]
    enrolled_then_returned.intake_completed_on = local_today()
    returned = _referred(f, officer, days_ago=9, status=CaseStatus.NON_COMPLIANT)
    returned.intake_completed_on = None
    db.session.flush()
    login_as(officer)

    html = client.get("/officer/referrals").get_data(as_text=True)
    assert OPTION_RE.findall(html) == ["referred", "accepted", "declined", "non_compliant"]
    screening = (CaseStatus.REFERRED, CaseStatus.DECLINED)
    later = {made[s].id for s in CaseStatus if s not in screening}
    html = client.get("/officer/referrals?status=accepted").get_data(as_text=True)
    assert set(_listed(html)) == later
    assert "Further progress is confidential" in html
    html = client.get("/officer/referrals?status=non_compliant").get_data(as_text=True)
    assert _listed(html) == [returned.id]
    total = len(CaseStatus) + 1
    for status in CaseStatus:
        if status in screening or status in (CaseStatus.ACCEPTED, CaseStatus.NON_COMPLIANT):
            continue
        html = client.get(f"/officer/referrals?status={status.value}").get_data(as_text=True)
        assert f"{total} referrals." in html  # ignored: no subset to learn from
        assert status.label not in html


def test_each_filter_holds_the_statuses_shown_to_the_officer_as_it(f):
    """The filter and officer_status agree: a case is found under the status its badge shows
    to an officer without a consent."""
    officer = f.officer()
    for status in CaseStatus:
        for intake in (None, local_today()):
            case = f.CaseFactory(officer=officer, status=status, intake_completed_on=intake)
            shown = officer_status(officer, case, []).status
            buckets = [
                key
                for key, holds in OFFICER_FILTERS.items()
                if db.session.scalar(select(Case.id).where(Case.id == case.id, holds))
            ]
            assert buckets == [shown.value], (status, intake)


def test_the_list_tells_the_officer_why_a_referral_was_declined(client, login_as, f):
    officer = f.officer()
    case = _referred(f, officer, days_ago=0, declined=True)
    login_as(officer)
    html = client.get("/officer/referrals?status=declined").get_data(as_text=True)
    assert _listed(html) == [case.id]
    assert f"Referral declined by the program: {case.decline_reason}" in unescape(html)


def test_htmx_filter_returns_only_the_results_block(client, login_as, f):
    officer = f.officer()
    accepted = _referred(f, officer, days_ago=2, status=CaseStatus.ACCEPTED)
    _referred(f, officer, days_ago=1)
    login_as(officer)

    response = client.get("/officer/referrals?status=accepted", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert "<form" not in html  # the filter form stays in place
    assert _listed(html) == [accepted.id]

    full = client.get("/officer/referrals?status=accepted")
    assert "HX-Request" in full.headers["Vary"]  # caches keep page and fragment apart
    assert "<html" in full.get_data(as_text=True)


def _known(f, officer, **kw):
    """Ann Smith, born Jan 2, 1990, referred before by `officer`: the person and the referral."""
    known = f.PersonFactory(first_name="Ann", last_name="Smith", dob=dt.date(1990, 1, 2), **kw)
    return known, f.CaseFactory(person=known, officer=officer)


def test_same_name_and_birth_date_offers_the_officers_own_earlier_record(client, login_as, f):
    officer = f.officer()
    f.PersonFactory.create_batch(3)  # person and case ids no longer coincide
    known, earlier = _known(f, officer)
    login_as(officer)

    response = post(
        client, "/officer/referrals/new", {**FORM, "first_name": "ANN", "last_name": "smith"}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This person may already be on record" in html
    # Offered by the officer's own referral of them (an id the officer knows).
    assert f'name="person_choice" type="radio" value="{earlier.id}"' in html
    assert 'name="person_choice" type="radio" value="new"' in html
    assert _count(Case) == 1
    assert _count(Person) == 4

    chosen = post(
        client,
        "/officer/referrals/new",
        {**FORM, "first_name": "ANN", "last_name": "smith", "person_choice": str(earlier.id)},
        page="/officer/referrals/new",
    )

    assert chosen.status_code == 302
    case = db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert case.person_id == known.id
    assert case.referred_name == "ANN smith"
    assert _count(Person) == 4


def test_a_different_person_with_the_same_name_gets_a_new_record(client, login_as, f):
    officer = f.officer()
    known, _ = _known(f, officer)
    login_as(officer)
    response = post(client, "/officer/referrals/new", {**FORM, "person_choice": "new"})
    assert response.status_code == 302
    case = db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert case.person_id != known.id
    assert _count(Person) == 2


def test_a_person_choice_that_was_not_offered_is_refused(client, login_as, f):
    officer = f.officer()
    _known(f, officer)
    stranger = f.PersonFactory(first_name="Bob", last_name="Jones")
    theirs = f.CaseFactory(person=stranger, officer=officer)
    login_as(officer)
    response = post(client, "/officer/referrals/new", {**FORM, "person_choice": str(theirs.id)})
    assert response.status_code == 422
    assert 'id="person_choice-error"' in response.get_data(as_text=True)
    assert _count(Case) == 2


def _officer_pages(client, officer, typed: dict) -> str:
    """Everything the officer can read of their referrals, and the referral form answering
    `typed` (the duplicate check), as one text."""
    pages = [client.get("/officer/referrals").get_data(as_text=True)]
    for case_id in _my_cases(officer):
        pages.append(client.get(f"/officer/referrals/{case_id}").get_data(as_text=True))
        fragment = client.get(
            f"/officer/referrals/{case_id}/timeline", headers={"HX-Request": "true"}
        )
        pages.append(fragment.get_data(as_text=True))
    form = post(
        client,
        "/officer/referrals/new",
        {**typed, "submission_key": str(uuid.uuid4())},
        page="/officer/referrals/new",
    )
    assert form.status_code == 422  # the duplicate check asks; nothing is saved
    pages.append(form.get_data(as_text=True))
    return "\n".join(pages)


def _someone_elses_known_person_is_not_revealed(client, login_as, f, me, referrer):
    """`me` types the name and date of birth of a person `referrer` referred: nothing is offered
    (not even after choosing the record by id), and a new person record is made. When the office
    then links the two records, `me` still sees only what they referred."""
    known, theirs = _known(f, referrer, aliases="Annie", phone=None)
    login_as(me)
    typed = {**FORM, "first_name": "ANN", "last_name": "smith", "aliases": "Red", "phone": ""}

    response = post(client, "/officer/referrals/new", {**typed, "phone": "555-0100"})

    html = response.get_data(as_text=True)
    assert response.status_code == 302, html
    assert "This person may already be on record" not in html
    case = db.session.scalar(select(Case).where(Case.officer_id == me.id))
    assert case.person_id != known.id
    assert _count(Person) == 2
    # Typed again, only the record they made is offered; naming the other one is refused.
    # Their referral's id, and their person's id as if it were one (unless it happens to be the
    # number of this officer's own referral, which they may choose).
    for foreign in sorted({theirs.id, known.id} - {case.id}):
        forced = post(
            client,
            "/officer/referrals/new",
            {**typed, "submission_key": str(uuid.uuid4()), "person_choice": str(foreign)},
            page="/officer/referrals/new",
        )
        html = forced.get_data(as_text=True)
        assert forced.status_code == 422
        assert re.findall(r'name="person_choice" type="radio" value="(\w+)"', html) == [
            str(case.id),
            "new",
        ]
    assert _count(Case) == 2
    db.session.refresh(known)
    assert (known.aliases, known.phone) == ("Annie", None)  # nothing written into their record
    for page in ("/officer/referrals", *(f"/officer/referrals/{c}" for c in _my_cases(me))):
        assert "Annie" not in client.get(page).get_data(as_text=True)

    # The office links the referral to the earlier record (keeping its alias and phone there):
    # the officer's pages, and the duplicate check, show what they referred and nothing else.
    person_matches.link_person(case, f.admin(), known.id, copy_details=True)
    db.session.refresh(known)
    assert (known.aliases, known.phone) == ("Annie, Red", "555-0100")
    seen = _officer_pages(client, me, typed)
    assert "Annie" not in seen
    assert "ANN smith" in seen and "Ann Smith" not in seen
    assert "Linked" not in seen and "earlier record" not in seen
    assert re.findall(r'name="person_choice" type="radio" value="(\w+)"', seen) == [
        str(case.id),
        "new",
    ]


def _my_cases(officer) -> list[int]:
    return list(db.session.scalars(select(Case.id).where(Case.officer_id == officer.id)))


def test_another_agencys_officer_is_offered_nothing(client, login_as, f):
    _someone_elses_known_person_is_not_revealed(client, login_as, f, f.officer(), f.officer())


def test_a_colleague_in_the_same_agency_is_offered_nothing(client, login_as, f):
    referrer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, referrer.agency_id))
    _someone_elses_known_person_is_not_revealed(client, login_as, f, colleague, referrer)


def test_a_case_linked_to_another_agencys_record_shows_the_officer_only_what_they_referred(
    client, login_as, f
):
    """The office links Ann Smith's referral to another agency's record of Annabel Smith (same
    birth date): the officer sees Ann Smith, and typing Annabel Smith finds nothing."""
    me, referrer = f.officer(), f.officer()
    annabel = f.PersonFactory(
        first_name="Annabel", last_name="Smith", dob=dt.date(1990, 1, 2), phone="555-0199"
    )
    f.CaseFactory(person=annabel, officer=referrer, incident_number="2025-77777")
    mine = f.CaseFactory(
        officer=me, person=f.PersonFactory(first_name="Ann", last_name="Smith", dob=annabel.dob)
    )
    person_matches.link_person(mine, f.admin(), annabel.id)
    assert (mine.person_id, _count(Person)) == (annabel.id, 1)
    login_as(me)

    seen = _officer_pages(client, me, {**FORM, "first_name": "Ann", "last_name": "Smith"})
    secrets = ["Annabel", "555-0199", "2025-77777"]
    if annabel.id != mine.id:  # the officer's own referral is offered by its number
        secrets.append(f'type="radio" value="{annabel.id}"')
    for secret in secrets:
        assert secret not in seen, secret
    assert "Ann Smith" in seen
    typed_theirs = post(
        client, "/officer/referrals/new", {**FORM, "first_name": "Annabel", "last_name": "Smith"}
    )
    assert typed_theirs.status_code == 302  # nothing offered: a new record, as for a stranger
    newest = db.session.scalar(
        select(Case).where(Case.officer_id == me.id).order_by(Case.id.desc())
    )
    assert newest.id != mine.id and newest.person_id != annabel.id
