"""The office sees possible matches at screening, and links a referral to an earlier record of
the same person or keeps the two apart, by page and by htmx."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseStatus,
    Person,
    PersonMatchDecision,
    TimelineEntry,
    TimelineKind,
)
from portal.services import person_matches
from tests.conftest import post
from tests.web.admin.test_engagement import details

DOB = dt.date(1988, 6, 15)
ROW_RE = re.compile(r'<a href="/admin/cases/(\d+)">[^<]*</a>( <span[^>]*>[^<]*</span>)?')


def _referral(f, first, last, **kw) -> Case:
    person = f.PersonFactory(first_name=first, last_name=last, dob=DOB)
    return f.CaseFactory(person=person, **kw)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _matches(html: str) -> str:
    start = html.index('<div id="matches"')
    return html[start : html.index("</section>", start)] if "</section>" in html[start:] else ""


@pytest.fixture
def admin(f, login_as):
    user = f.admin()
    login_as(user)
    return user


@pytest.fixture
def pair(f):
    """James Carter, referred a year ago by Oak Hill Police; a new referral of Jim Carter."""
    agency = f.AgencyFactory(name="Oak Hill Police")
    earlier = _referral(
        f,
        "James",
        "Carter",
        officer=f.officer(agency=agency),
        declined=True,
        referred_at=dt.datetime(2025, 3, 4, 15, tzinfo=dt.UTC),
    )
    earlier.person.aliases = "Jimmy"
    return earlier, _referral(f, "Jim", "Carter")


def test_the_case_page_shows_possible_matches_with_their_referrals(client, admin, f, pair):
    earlier, case = pair
    html = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    section = _matches(html)
    assert "Possible matches" in section
    assert "James Carter" in section and "Jimmy" in section
    assert "Mar 4, 2025" in section and "Oak Hill Police" in section and "Declined" in section
    assert f'href="/admin/cases/{earlier.id}"' in section
    assert f'action="/admin/cases/{case.id}/matches/{earlier.person_id}/link"' in section
    assert f'hx-post="/admin/cases/{case.id}/matches/{earlier.person_id}/keep-apart"' in section
    version = f'name="link-{earlier.person_id}-version" type="hidden" value="{case.version}"'
    assert version in section
    assert f'id="link-{earlier.person_id}-copy_details"' in section
    # The earlier referral's page offers the new one in turn.
    other = _matches(client.get(f"/admin/cases/{earlier.id}").get_data(as_text=True))
    assert "Jim Carter" in other


def test_a_case_without_matches_says_so_while_screening(client, admin, f):
    case = _referral(f, "Ann", "Lee")
    html = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "No possible matches: no other record has this date of birth" in html
    assert 'id="matches-heading"' not in html
    kept = _referral(f, "Ann", "Lee")
    url = f"/admin/cases/{case.id}"
    post(client, f"{url}/matches/{kept.person_id}/keep-apart", {"version": case.version}, page=url)
    assert _count(PersonMatchDecision) == 1
    html = client.get(url).get_data(as_text=True)
    assert "No possible matches" in html and 'id="matches-heading"' not in html


def test_the_queue_marks_the_referrals_with_a_possible_match(client, admin, f, pair):
    _, case = pair
    alone = _referral(f, "Ann", "Lee")
    html = client.get("/admin/").get_data(as_text=True)
    rows = dict(ROW_RE.findall(html))
    assert "Possible match" in rows[str(case.id)]
    assert rows[str(alone.id)] == ""


def test_linking_moves_the_referral_to_the_earlier_record(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    new_person_id = case.person_id
    prefix = f"link-{earlier.person_id}"
    start = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))

    response = post(
        client,
        f"{url}/matches/{earlier.person_id}/link",
        {f"{prefix}-version": case.version, f"{prefix}-copy_details": "y"},
        page=url,
    )

    assert response.status_code == 302
    assert response.headers["Location"] == url
    db.session.expire_all()
    assert db.session.get(Case, case.id).person_id == earlier.person_id
    assert db.session.get(Person, new_person_id) is None
    assert db.session.get(Person, earlier.person_id).aliases == "Jimmy, Jim Carter"
    page = client.get(url).get_data(as_text=True)
    assert "Linked: this referral is now on the earlier record" in page
    assert "<h1>James Carter</h1>" in page and "Referred as</dt><dd>Jim Carter" in page
    assert "Linked to an earlier record of the same person" in page  # the timeline
    assert "Possible matches" not in page
    audited = {
        (e.action, e.object_type, e.object_id)
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.id > start))
    }
    assert {
        (AuditAction.CHANGE, "cases", case.id),
        (AuditAction.DELETE, "persons", new_person_id),
    } <= audited


def test_a_link_sent_twice_applies_once(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    data = {f"link-{earlier.person_id}-version": case.version}
    first = post(client, f"{url}/matches/{earlier.person_id}/link", data, page=url)
    again = post(client, f"{url}/matches/{earlier.person_id}/link", data, page=url)
    assert (first.status_code, again.status_code) == (302, 302)
    kinds = select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id)
    assert list(db.session.scalars(kinds)).count(TimelineKind.PERSON_LINKED) == 1


def test_a_link_from_a_stale_page_is_refused_with_the_latest(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    stale = case.version
    post(client, f"{url}/accept", {"version": stale}, page=url)  # someone screens it meanwhile
    response = post(
        client,
        f"{url}/matches/{earlier.person_id}/link",
        {f"link-{earlier.person_id}-version": stale},
        page=url,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in _matches(html)
    assert db.session.get(Case, case.id).person_id == case.person_id


def test_keeping_apart_answers_the_section_and_the_match_is_gone(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    action = f"{url}/matches/{earlier.person_id}/keep-apart"

    response = post(client, action, {"version": case.version}, page=url, htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="matches"')
    assert "Kept apart" in html and "James Carter" not in html
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assert _count(PersonMatchDecision) == 1
    again = post(client, action, {"version": case.version}, page=url, htmx=True)
    assert again.status_code == 200
    assert _count(PersonMatchDecision) == 1
    kinds = select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id)
    assert list(db.session.scalars(kinds)).count(TimelineKind.PERSONS_KEPT_APART) == 1
    assert "Possible matches" not in client.get(url).get_data(as_text=True)
    assert "Possible match" not in client.get("/admin/").get_data(as_text=True)


def test_keeping_apart_without_javascript_redirects(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    response = post(
        client, f"{url}/matches/{earlier.person_id}/keep-apart", {"version": case.version}, page=url
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}#matches"


def test_keeping_apart_from_a_stale_or_broken_form_is_refused(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    action = f"{url}/matches/{earlier.person_id}/keep-apart"
    stale = post(client, action, {"version": case.version + 1}, page=url, htmx=True)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    broken = post(client, action, {"version": "x"}, page=url, htmx=True)
    assert broken.status_code == 422
    assert "out of date" in broken.get_data(as_text=True)
    gone = post(client, f"{url}/matches/{10**6}/keep-apart", {"version": case.version}, page=url)
    assert gone.status_code == 422
    assert "no longer a possible match" in gone.get_data(as_text=True)
    assert _count(PersonMatchDecision) == 0


def test_screening_by_htmx_moves_the_versions_of_the_match_forms(client, admin, f, pair):
    """Accepting moves the case's version; the match forms come along (out of band), so keeping
    apart afterwards is no false conflict."""
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    before = case.version
    accepted = post(client, f"{url}/accept", {"version": before}, page=url, htmx=True)
    html = accepted.get_data(as_text=True)
    assert '<div id="matches" hx-swap-oob="true">' in html
    version = db.session.get(Case, case.id).version
    assert version == before + 1
    assert f'name="version" type="hidden" value="{version}"' in _matches(html)
    action = f"{url}/matches/{earlier.person_id}/keep-apart"
    assert post(client, action, {"version": version}, page=url, htmx=True).status_code == 200


@pytest.mark.parametrize("role", ["officer", "provider"])
def test_other_roles_cannot_link_or_keep_apart(client, login_as, f, pair, role):
    earlier, case = pair
    user = case.officer if role == "officer" else f.provider()
    login_as(user)
    home = "/officer/referrals" if role == "officer" else "/provider/"
    base = f"/admin/cases/{case.id}/matches/{earlier.person_id}"
    data = {"version": case.version, f"link-{earlier.person_id}-version": case.version}
    assert post(client, f"{base}/link", data, page=home).status_code == 403
    assert post(client, f"{base}/keep-apart", data, page=home).status_code == 403
    assert db.session.get(Case, case.id).person_id == case.person_id
    assert _count(PersonMatchDecision) == 0
    assert db.session.get(Case, case.id).status == CaseStatus.REFERRED


def test_editing_the_details_by_htmx_moves_the_versions_of_the_match_forms(client, admin, f, pair):
    earlier, case = pair
    url = f"/admin/cases/{case.id}"
    before = case.version
    data = details(case, incident_number="FC-77")
    html = post(client, f"{url}/details", data, page=url, htmx=True).get_data(as_text=True)
    assert '<div id="matches" hx-swap-oob="true">' in html
    assert f'name="version" type="hidden" value="{before + 1}"' in _matches(html)


def test_the_case_list_finds_a_linked_referral_by_the_name_it_was_referred_under(
    client, admin, f, pair
):
    earlier, case = pair
    person_matches.link_person(case, admin, earlier.person_id)
    html = client.get("/admin/cases?q=jim+carter").get_data(as_text=True)
    assert f'href="/admin/cases/{case.id}"' in html
    assert f'href="/admin/cases/{earlier.id}"' not in html
