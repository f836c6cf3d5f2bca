"""Every list holds at most PAGE_SIZE rows (5 in tests) whatever the data; the next page
continues where it ended, and a garbled, forged or past-the-end cursor answers the first page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Attendance, AttendanceStatus, CaseStatus, User, utcnow
from portal.services import attendance
from tests.conftest import post
from tests.web.paging import BAD_CURSORS, first_link, next_link
from tests.worlds import provider_world

SIZE = 5


def _case_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/admin/cases/(\d+)"', html)]


def _pages(client, url: str) -> list[str]:
    """Every page of a list, following its "Next page" links from `url`."""
    pages = [client.get(url).get_data(as_text=True)]
    while (following := next_link(pages[-1])) is not None:
        assert len(pages) < 20
        pages.append(client.get(following).get_data(as_text=True))
    return pages


def _referred(f, n: int, **kw) -> list:
    """n cases, oldest referral first."""
    return [
        f.CaseFactory(referred_at=utcnow() - dt.timedelta(hours=100 - i), **kw) for i in range(n)
    ]


# --- the referral queue -------------------------------------------------------------------------


def test_the_queue_pages_each_list_on_its_own(client, login_as, f):
    login_as(f.admin())
    new = _referred(f, 7)
    awaiting = [
        f.CaseFactory(status=CaseStatus.ACCEPTED, intake_deadline=local_today() + dt.timedelta(i))
        for i in range(6)
    ]
    first = client.get("/admin/").get_data(as_text=True)
    assert _case_links(first) == [c.id for c in new[:SIZE]] + [c.id for c in awaiting[:SIZE]]
    assert "(7 referrals)" in first and "(6 cases)" in first

    more_new = client.get(next_link(first, 0)).get_data(as_text=True)
    assert _case_links(more_new) == [c.id for c in new[SIZE:]] + [c.id for c in awaiting[:SIZE]]
    # The other list's page is kept while one moves on, and by the 30 s refresh.
    both = client.get(next_link(more_new, 0)).get_data(as_text=True)
    assert _case_links(both) == [c.id for c in new[SIZE:]] + [c.id for c in awaiting[SIZE:]]
    poll = re.search(r'<div id="queue" hx-get="([^"]+)"', both).group(1)
    assert "new=" in poll and "awaiting=" in poll


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_the_queue_answers_a_bad_cursor_with_the_first_page(client, login_as, f, cursor):
    login_as(f.admin())
    new = _referred(f, 7)
    response = client.get(f"/admin/?new={cursor}&awaiting={cursor}")
    assert response.status_code == 200
    assert _case_links(response.get_data(as_text=True)) == [c.id for c in new[:SIZE]]


# --- the case list ------------------------------------------------------------------------------


def test_the_case_list_pages_newest_first_with_a_capped_count(client, login_as, f):
    login_as(f.admin())
    made = _referred(f, 12)
    pages = _pages(client, "/admin/cases")
    assert [_case_links(p) for p in pages] == [
        [c.id for c in reversed(made[7:])],
        [c.id for c in reversed(made[2:7])],
        [c.id for c in reversed(made[:2])],
    ]
    assert "12 cases." in pages[0] and first_link(pages[2]) == "/admin/cases"


def test_the_case_count_stops_at_the_cap(client, login_as, f, monkeypatch):
    from portal.services import paging

    monkeypatch.setattr(paging, "MAX_COUNT", 3)
    monkeypatch.setattr("portal.web.filters.MAX_COUNT", 3)
    login_as(f.admin())
    _referred(f, 6)
    assert "Over 3 cases." in client.get("/admin/cases").get_data(as_text=True)


def test_a_one_letter_search_is_ignored_with_a_hint(client, login_as, f):
    login_as(f.admin())
    _referred(f, 3)
    html = client.get("/admin/cases?q=a").get_data(as_text=True)
    assert "Type at least 2 characters to search." in html
    assert len(_case_links(html)) == 3


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_the_case_list_answers_a_bad_cursor_with_the_first_page(client, login_as, f, cursor):
    login_as(f.admin())
    made = _referred(f, 7)
    response = client.get(f"/admin/cases?after={cursor}&page=-1")
    assert response.status_code == 200
    assert _case_links(response.get_data(as_text=True)) == [c.id for c in reversed(made[2:])]


# --- directory ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "make", "marker"),
    [
        ("/admin/agencies", lambda f, i: f.AgencyFactory(name=f"Agency {i:02d}"), "Agency "),
        (
            "/admin/organizations",
            lambda f, i: f.OrganizationFactory(name=f"Provider {i:02d}"),
            "Provider ",
        ),
    ],
)
def test_directory_lists_page_by_name(client, login_as, f, url, make, marker):
    login_as(f.admin())
    for i in range(7):
        make(f, i)
    pages = _pages(client, url)
    names = [re.findall(rf">({marker}\d\d)<", p) for p in pages]
    assert names[0] == [f"{marker}{i:02d}" for i in range(5)]
    assert names[-1][-2:] == [f"{marker}05", f"{marker}06"]
    response = client.get(f"{url}?after=garbled")
    assert response.status_code == 200
    assert re.findall(rf">({marker}\d\d)<", response.get_data(as_text=True)) == names[0]


# --- the provider's roster, sessions and participant --------------------------------------------


def _names_listed(html: str) -> list[str]:
    return re.findall(r'data-label="Participant"><a href="[^"]+">([^<]+)</a>', html)


def test_the_roster_pages_pending_first_and_searches_by_name(client, login_as, f):
    world = provider_world(f)
    for i in range(4):
        world.participant(first_name=f"Pending{i}", accept=False)
    for i in range(4):
        world.participant(first_name=f"Taken{i}")
    login_as(world.staff)
    pages = _pages(client, "/provider/")
    listed = [_names_listed(p) for p in pages]
    assert [len(rows) for rows in listed] == [5, 3]
    assert all(name.startswith("Pending") for name in listed[0][:4])
    assert "Taken" in listed[0][4]
    found = client.get("/provider/?q=taken2").get_data(as_text=True)
    assert [n.split()[0] for n in _names_listed(found)] == ["Taken2"]
    short = client.get("/provider/?q=t").get_data(as_text=True)
    assert "Type at least 2 characters" in short and len(_names_listed(short)) == 5
    for cursor in BAD_CURSORS:
        response = client.get(f"/provider/?after={cursor}")
        assert response.status_code == 200
        assert _names_listed(response.get_data(as_text=True)) == listed[0]


def test_a_session_pages_its_participants_and_mark_all_marks_everyone(client, login_as, f):
    world = provider_world(f)
    for i in range(7):
        world.participant(first_name=f"Member{i}")
    login_as(world.staff)
    url = f"/provider/sessions/{world.service.id}/{local_today().isoformat()}"
    pages = _pages(client, url)
    assert [len(_names_listed(p)) for p in pages] == [5, 2]
    found = client.get(f"{url}?q=member3").get_data(as_text=True)
    assert [n.split()[0] for n in _names_listed(found)] == ["Member3"]
    assert client.get(f"{url}?after=%00garbled").status_code == 200

    response = post(client, f"{url}/all", {}, page=url, htmx=True)
    assert response.status_code == 200
    assert "Marked 7 participants present." in response.get_data(as_text=True)
    recorded = db.session.scalar(
        select(func.count()).where(Attendance.session_date == local_today())
    )
    assert recorded == 7
    assert len(_names_listed(response.get_data(as_text=True))) == 5


SESSION_LINK = r'href="/provider/sessions/\d+/(\d{4}-\d\d-\d\d)"'


def test_a_participants_attendance_shows_the_latest_page_and_older_on_demand(client, login_as, f):
    world = provider_world(f)
    referral = world.participant()
    days = [local_today() - dt.timedelta(days=n) for n in range(7)]
    for day in days:
        attendance.record_attendance(referral, day, AttendanceStatus.ATTENDED, world.staff)
    login_as(world.staff)
    url = f"/provider/participants/{referral.case_id}"
    first = client.get(url).get_data(as_text=True)
    assert re.findall(SESSION_LINK, first) == [d.isoformat() for d in days[:5]]
    older = client.get(next_link(first)).get_data(as_text=True)
    assert re.findall(SESSION_LINK, older) == [d.isoformat() for d in days[5:]]
    assert client.get(f"{url}?attendance=garbled").status_code == 200


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "expected"), [("1", 1), ("abc", 1), ("-4", 1), ("99", 2)])
def test_matching_numbers_its_pages_and_clamps_a_bad_number(client, login_as, f, page, expected):
    login_as(f.admin())
    case = f.CaseFactory(active=True)
    for i in range(7):
        f.ServiceFactory(name=f"Service {i:02d}")
    html = client.get(f"/admin/cases/{case.id}/matching?page={page}").get_data(as_text=True)
    assert f"Page {expected} of 2" in html
    assert html.count('data-label="Service"') == (5 if expected == 1 else 2)


# --- the lists that were keyset-paged already ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/audit?before={}",
        "/admin/mail?before={}",
        "/admin/review?after={}",
        "/admin/outreach?after={}",
        "/admin/caseload?after={}",
    ],
)
@pytest.mark.parametrize("cursor", [*BAD_CURSORS, "99999999999999999999999"])
def test_the_office_keyset_lists_answer_a_bad_cursor(client, login_as, f, url, cursor):
    login_as(f.admin())
    assert client.get(url.format(cursor)).status_code == 200


@pytest.mark.parametrize("cursor", [*BAD_CURSORS, "99999999999999999999999"])
def test_the_inbox_answers_a_bad_cursor(client, login_as, f, cursor):
    login_as(f.officer())
    assert client.get(f"/officer/inbox?before={cursor}").status_code == 200


# --- the consent form's choices -----------------------------------------------------------------


def _officer_options(html: str) -> list[str]:
    select_html = html.split('id="consent-recipient_officer_id"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]* value="\d+"[^>]*>([^<]+)</option>', select_html)


def test_the_consent_form_offers_the_first_officers_and_a_search_finds_the_rest(
    client, login_as, f
):
    from portal.admin.case_sections import OFFICER_CHOICES
    from portal.models import Agency

    login_as(f.admin())
    case = f.CaseFactory(active=True)
    agency = db.session.get(Agency, case.agency_id)
    for i in range(OFFICER_CHOICES + 5):
        f.officer(agency=agency, name=f"Officer {i:03d}")
    page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    offered = _officer_options(page)
    assert len(offered) == OFFICER_CHOICES
    assert "Officer 024" not in offered

    url = f"/admin/cases/{case.id}/consents/officers"
    found = client.get(f"{url}?officer_search=officer 024", headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert re.findall(r">(Officer \d+)<", found.get_data(as_text=True)) == ["Officer 024"]
    short = client.get(f"{url}?officer_search=o").get_data(as_text=True)
    assert len(re.findall(r">(Officer \d+)<", short)) == OFFICER_CHOICES
    chosen = db.session.scalar(select(User.id).where(User.name == "Officer 023"))
    kept = client.get(f"{url}?officer_search=officer 02&consent-recipient_officer_id={chosen}")
    html = kept.get_data(as_text=True)
    assert f'<option value="{chosen}" selected>Officer 023</option>' in html
    nobody = client.get(f"{url}?officer_search=zzz").get_data(as_text=True)
    assert "No officer of the agency matches" in nobody


def test_the_consent_form_bounds_its_agency_and_provider_choices(client, login_as, f, monkeypatch):
    monkeypatch.setattr("portal.admin.case_sections.CHOICES", 3)
    login_as(f.admin())
    case = f.CaseFactory(active=True)
    for i in range(5):
        f.AgencyFactory(name=f"Agency {i:02d}")
        f.OrganizationFactory(name=f"Provider {i:02d}")
    html = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    agencies = html.split('id="consent-recipient_agency_id"', 1)[1].split("</select>", 1)[0]
    assert len(re.findall(r'<option[^>]* value="\d+"', agencies)) == 3
    assert "selected" in agencies  # the referring agency, offered whatever its name
    assert len(re.findall(r'name="consent-provider_ids"', html)) == 3
