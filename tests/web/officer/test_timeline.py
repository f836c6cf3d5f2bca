"""The officer follows the program's steps on their referral's timeline, status-level only."""

from __future__ import annotations

import datetime as dt

from portal.clock import local_today
from portal.models import CaseStatus, TimelineKind
from portal.services import cases
from portal.services.timeline import add_entry

HTMX = {"HX-Request": "true"}
NOTE = "Tested positive for fentanyl; disclosed a psychiatric admission"
REASON = "Disqualifying violent history"


def test_timeline_fragment_shows_the_admins_steps(client, login_as, f):
    officer, admin = f.officer(), f.admin()
    case = f.CaseFactory(officer=officer)
    cases.accept_referral(case, admin, note=NOTE)
    cases.complete_intake(case, admin, local_today(), version=case.version)
    f.ConsentFactory(case=case)  # status-level progress, to the referring agency
    login_as(officer)

    response = client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="timeline"')
    assert "<html" not in html
    assert "Referral accepted; intake to be scheduled" in html
    assert "Intake complete; the person is enrolled" in html
    assert 'hx-swap-oob="true"' in html  # the status badge follows
    assert CaseStatus.ACTIVE.label in html
    assert "timeline-changed from:body" in html and "every 10s" in html  # refreshes itself
    assert NOTE not in html
    assert admin.name not in html  # who did it is staff detail, not status


def test_the_officer_sees_the_exclusion_reason_but_never_the_decline_note(client, login_as, f):
    officer, admin = f.officer(), f.admin()
    case = f.CaseFactory(officer=officer)
    cases.decline_referral(case, admin, REASON, note=NOTE)
    login_as(officer)

    fragment = client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX)
    page = client.get(f"/officer/referrals/{case.id}")

    for response in (fragment, page):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        # The exclusion reason is a program setting the officer needs to decide on the charge;
        # the screener's note is the program's own.
        assert f"Referral declined by the program: {REASON}" in html
        assert NOTE not in html
        for word in ("payload", "Reason:", "Note:"):
            assert word not in html


def test_the_admin_sees_the_details_the_officer_does_not(client, login_as, f):
    officer, admin = f.officer(), f.admin()
    case = f.CaseFactory(officer=officer)
    cases.decline_referral(case, admin, REASON, note=NOTE)
    login_as(admin)
    html = client.get(f"/admin/cases/{case.id}/timeline", headers=HTMX).get_data(as_text=True)
    assert NOTE in html  # the test above would pass vacuously if the note were never rendered
    assert REASON in html


def test_timeline_without_htmx_goes_to_the_page(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer)
    login_as(officer)
    response = client.get(f"/officer/referrals/{case.id}/timeline")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/officer/referrals/{case.id}"


def test_older_entries_page_by_keyset(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer)
    start = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    for i in range(25):
        add_entry(case, TimelineKind.REFERRAL_RECEIVED, officer, at=start + dt.timedelta(hours=i))
    login_as(officer)

    first = client.get(f"/officer/referrals/{case.id}/timeline", headers=HTMX)
    html = first.get_data(as_text=True)
    assert html.count('class="portal-timeline__entry"') == 20
    assert "Show older entries" in html
    cursor = html.split("?before=", 1)[1].split('"', 1)[0]
    older = client.get(
        f"/officer/referrals/{case.id}/timeline?before={cursor}", headers=HTMX
    ).get_data(as_text=True)
    assert older.count('class="portal-timeline__entry"') == 5
    assert "Show older entries" not in older
