"""What reaches an officer's pages, fragments and polls under 42 CFR Part 2: screening always;
later progress only under a consent naming them or their agency, with the 2.32 notice, each
disclosure recorded once; nothing in a title or an id that the page may not show."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from portal.clock import local_today, program_tz
from portal.extensions import db
from portal.models import (
    Agency,
    CaseStatus,
    Disclosure,
    ExitReason,
    RecipientKind,
    TimelineKind,
)
from portal.services import cases
from portal.services.consents import revoke_consent
from portal.services.disclosures import REDISCLOSURE_NOTICE
from portal.services.timeline import OFFICER_TEXT, add_entry
from tests.conftest import login, post

HTMX = {"HX-Request": "true"}
POLL = {"HX-Request": "true", "X-Portal-Poll": "1"}
CONFIDENTIAL = "Further progress is confidential"
SCREENING_TEXT = [
    OFFICER_TEXT[TimelineKind.REFERRAL_RECEIVED],
    OFFICER_TEXT[TimelineKind.REFERRAL_ACCEPTED],
]
STATUS_TEXT = [OFFICER_TEXT[TimelineKind.INTAKE_COMPLETED], OFFICER_TEXT[TimelineKind.ENGAGED]]
OUTCOME_TEXT = [OFFICER_TEXT[TimelineKind.CASE_COMPLETED]]
AFTER_SCREENING = [
    text
    for kind, text in OFFICER_TEXT.items()
    if kind
    not in (
        TimelineKind.REFERRAL_RECEIVED,
        TimelineKind.REFERRAL_ACCEPTED,
        TimelineKind.REFERRAL_DECLINED,
    )
]
TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S)


def _case(f, officer, completed=False):
    """A case past intake, with a service the participant engaged in (and maybe completed)."""
    case = f.CaseFactory(
        officer=officer, **({"completed": True} if completed else {"active": True})
    )
    f.ServiceReferralFactory(case=case, accepted=True)
    return case


def _consent(f, case, **kw):
    return f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=10), **kw)


def _views(client, case) -> tuple[str, str, str]:
    """The case page, its timeline fragment, and a poll of it, as the signed-in user sees them."""
    page = client.get(f"/officer/referrals/{case.id}")
    fragment = client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX)
    poll = client.get(f"/officer/referrals/{case.id}/timeline", headers=POLL)
    for response in (page, fragment, poll):
        assert response.status_code == 200
    return tuple(unescape(r.get_data(as_text=True)) for r in (page, fragment, poll))


def _disclosures(case) -> list[Disclosure]:
    query = select(Disclosure).where(Disclosure.case_id == case.id).order_by(Disclosure.id)
    return list(db.session.scalars(query))


def _assert_notice_follows_disclosure(html: str) -> None:
    """The notice is on whatever shows a post-screening event; nothing without a consent."""
    shown = [text for text in AFTER_SCREENING if text in html]
    if shown:
        assert REDISCLOSURE_NOTICE in html, shown


def test_without_consent_the_officer_sees_screening_and_that_the_rest_is_confidential(
    client, login_as, f
):
    officer = f.officer()
    case = _case(f, officer, completed=True)
    login_as(officer)
    for html in _views(client, case):
        for text in SCREENING_TEXT:
            assert text in html
        for text in AFTER_SCREENING:
            assert text not in html
        assert CONFIDENTIAL in html
        assert REDISCLOSURE_NOTICE not in html
        assert CaseStatus.COMPLETED.label not in html
    assert _disclosures(case) == []


def test_a_status_consent_shows_enrolment_and_engagement_with_the_notice(client, login_as, f):
    officer = f.officer()
    case = _case(f, officer, completed=True)
    _consent(f, case)
    login_as(officer)
    for html in _views(client, case):
        for text in SCREENING_TEXT + STATUS_TEXT:
            assert text in html
        for text in OUTCOME_TEXT:
            assert text not in html
        assert REDISCLOSURE_NOTICE in html
        _assert_notice_follows_disclosure(html)


def test_an_outcome_consent_shows_completion_with_the_notice(client, login_as, f):
    officer = f.officer()
    case = _case(f, officer, completed=True)
    _consent(f, case, discloses_status=False, discloses_outcome=True)
    login_as(officer)
    page, fragment, poll = _views(client, case)
    for html in (page, fragment, poll):
        assert OUTCOME_TEXT[0] in html
        for text in STATUS_TEXT:
            assert text not in html
        assert REDISCLOSURE_NOTICE in html
    assert CaseStatus.COMPLETED.label in page


@pytest.mark.parametrize(
    "consent",
    ["none", "status", "outcome", "another agency", "another officer", "revoked", "expired"],
)
def test_the_notice_goes_with_every_post_screening_event_shown(client, login_as, f, consent):
    officer = f.officer()
    case = _case(f, officer, completed=True)
    yesterday = local_today() - dt.timedelta(days=1)
    values = {
        "status": {},
        "outcome": {"discloses_outcome": True},
        "another agency": {"recipient_agency_id": f.AgencyFactory().id},
        "another officer": {
            "recipient_kind": RecipientKind.OFFICER,
            "recipient_agency_id": None,
            "recipient_officer_id": f.officer(agency=db.session.get(Agency, officer.agency_id)).id,
        },
        "revoked": {"revoked_on": yesterday, "revocation_received": "By letter"},
        "expired": {"expires_on": yesterday},
    }
    if consent != "none":
        _consent(f, case, **values[consent])
    login_as(officer)
    shown = False
    for html in _views(client, case):
        _assert_notice_follows_disclosure(html)
        shown = shown or any(text in html for text in AFTER_SCREENING)
    assert shown == (consent in ("status", "outcome"))
    assert bool(_disclosures(case)) == shown


def test_each_disclosure_is_recorded_once_per_officer_and_event(client, login_as, f):
    officer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    case = _case(f, officer)
    consent = _consent(f, case)
    login_as(officer)
    for _ in range(3):
        _views(client, case)
    rows = _disclosures(case)
    assert sorted(r.what for r in rows) == sorted(
        [TimelineKind.INTAKE_COMPLETED.value, TimelineKind.ENGAGED.value]
    )
    for row in rows:
        assert (row.recipient_id, row.recipient_agency_id) == (officer.id, officer.agency_id)
        assert (row.consent_id, row.purpose) == (consent.id, consent.purpose)

    # The colleague is named through the agency: their own rows, once each, too.
    other = client.application.test_client()
    login(other, colleague)
    for _ in range(2):
        _views(other, case)
    assert len(_disclosures(case)) == 4

    # A new event is disclosed (and recorded) at the next poll, once.
    cases.close_case(case, f.admin(), CaseStatus.WITHDRAWN, local_today(), ExitReason.MOVED_AWAY)
    for _ in range(3):
        client.get(f"/officer/referrals/{case.id}/timeline", headers=POLL)
    withdrawn = [r for r in _disclosures(case) if r.what == TimelineKind.CASE_WITHDRAWN.value]
    assert [r.recipient_id for r in withdrawn] == [officer.id]


def test_revocation_hides_further_progress_at_once(client, login_as, f):
    officer = f.officer()
    case = _case(f, officer)
    consent = _consent(f, case)
    login_as(officer)
    assert STATUS_TEXT[1] in _views(client, case)[2]
    recorded = len(_disclosures(case))

    revoke_consent(consent, f.admin(), local_today(), "By telephone")
    add_entry(case, TimelineKind.CASE_WITHDRAWN, None)  # and something happens after it

    for html in _views(client, case):
        for text in AFTER_SCREENING:
            assert text not in html
        assert CONFIDENTIAL in html
        assert REDISCLOSURE_NOTICE not in html
    assert len(_disclosures(case)) == recorded


def test_expiry_hides_further_progress_from_local_midnight(client, f):
    officer = f.officer()
    day = dt.date(2027, 3, 31)
    at = lambda *a: dt.datetime.combine(day, dt.time(*a), tzinfo=program_tz())  # noqa: E731
    with time_machine.travel(at(12), tick=False) as clock:
        case = _case(f, officer)
        _consent(f, case, expires_on=day)
        clock.move_to(at(23, 59, 58))
        login(client, officer)
        assert STATUS_TEXT[0] in _views(client, case)[0]
        clock.move_to(at(23, 59, 58) + dt.timedelta(seconds=2))  # 00:00 local, April 1
        for html in _views(client, case):
            for text in AFTER_SCREENING:
                assert text not in html
            assert CONFIDENTIAL in html


def test_a_colleague_gets_404_unless_their_agency_is_named(client, login_as, f):
    officer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    case = _case(f, officer)
    page, fragment = f"/officer/referrals/{case.id}", f"/officer/referrals/{case.id}/timeline"
    login_as(colleague)

    def status() -> tuple[int, int]:
        return client.get(page).status_code, client.get(fragment, headers=HTMX).status_code

    assert status() == (404, 404)
    _consent(
        f,
        case,
        recipient_kind=RecipientKind.OFFICER,
        recipient_agency_id=None,
        recipient_officer_id=officer.id,
    )
    assert status() == (404, 404)  # the referring officer is named, not the agency
    named = _consent(f, case)
    assert status() == (200, 200)
    assert STATUS_TEXT[0] in client.get(page).get_data(as_text=True)
    revoke_consent(named, f.admin(), local_today(), "In person")
    assert status() == (404, 404)


# --- titles and ids ------------------------------------------------------------------------------


def test_officer_page_titles_never_carry_the_participants_name(client, login_as, f):
    officer = f.officer()
    person = f.PersonFactory(
        first_name="Zebulon", last_name="Quackenbush", dob=dt.date(1990, 4, 28)
    )
    case = f.CaseFactory(person=person, officer=officer)
    _consent(f, f.CaseFactory(person=person, officer=officer, active=True))
    login_as(officer)
    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in (f"/officer/referrals/{case.id}", "/officer/referrals")
    }
    form = {
        "first_name": "Zebulon",
        "last_name": "Quackenbush",
        "dob": "1990-04-28",
        "referral_type": "social_contact",
    }
    pages["form"] = post(client, "/officer/referrals/new", form).get_data(as_text=True)
    for url, html in pages.items():
        assert "Quackenbush" in html, url  # the page shows the name (so the test can fail)
        [title] = TITLE_RE.findall(html)
        assert "Quackenbush" not in title and "Zebulon" not in title, url


def test_officer_timelines_carry_no_entry_ids(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer)
    start = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    for i in range(25):
        add_entry(case, TimelineKind.REFERRAL_RECEIVED, officer, at=start + dt.timedelta(hours=i))
    admin = client.application.test_client()
    login(admin, f.admin())
    staff = admin.get(f"/admin/cases/{case.id}/timeline", headers=HTMX).get_data(as_text=True)
    assert 'id="entry-' in staff  # the program's timeline has them (so the test can fail)
    assert not staff.split("?before=", 1)[1].split('"', 1)[0].endswith("_0")
    login_as(officer)

    page = client.get(f"/officer/referrals/{case.id}").get_data(as_text=True)
    fragment = client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX)
    html = fragment.get_data(as_text=True)
    cursor = html.split("?before=", 1)[1].split('"', 1)[0]
    older = client.get(f"/officer/referrals/{case.id}/timeline?before={cursor}", headers=HTMX)
    for text in (page, html, older.get_data(as_text=True)):
        assert 'id="entry-' not in text
        assert "entry-" not in text
    assert cursor.endswith("_0")  # the time of the last entry shown, and no id
    assert older.get_data(as_text=True).count('class="portal-timeline__entry"') == 5


def test_no_disclosure_rows_for_an_officer_without_consent_however_often_polled(
    client, login_as, f
):
    officer = f.officer()
    case = _case(f, officer, completed=True)
    _consent(f, case, recipient_agency_id=f.AgencyFactory().id)
    login_as(officer)
    for _ in range(3):
        _views(client, case)
    assert db.session.scalar(select(func.count()).select_from(Disclosure)) == 0


def test_a_status_consent_on_a_completed_case_shows_enrolment_and_keeps_the_outcome(client, f):
    officer = f.officer()
    case = _case(f, officer, completed=True)
    _consent(f, case)
    db.session.commit()
    login(client, officer)
    page, _, _ = _views(client, case)
    status = page.split('id="case-status"', 1)[1].split("</span></span>", 1)[0]
    assert "Enrolled in the program" in status and CONFIDENTIAL in status
    assert OFFICER_TEXT[TimelineKind.INTAKE_COMPLETED] in page  # what the badge stands on
    assert CaseStatus.COMPLETED.label not in page
    assert OFFICER_TEXT[TimelineKind.CASE_COMPLETED] not in page
