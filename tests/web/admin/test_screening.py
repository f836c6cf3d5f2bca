"""The program office's queue, screening (accept / decline) and intake, by page and by htmx."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from markupsafe import escape
from sqlalchemy import func, select

from portal.clock import local_instant, local_today
from portal.extensions import db
from portal.models import Case, CaseStatus, Consent, TimelineEntry, TimelineKind, utcnow
from portal.services.settings import get_settings
from tests.conftest import post

ROW_RE = re.compile(r'<a href="/admin/cases/(\d+)">')


def _kinds(case: Case) -> list[TimelineKind]:
    query = select(TimelineEntry.kind).where(TimelineEntry.case_id == case.id)
    return list(db.session.scalars(query.order_by(TimelineEntry.id)))


def _status(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


@pytest.fixture
def admin(f, login_as):
    user = f.admin()
    login_as(user)
    return user


def test_queue_lists_new_referrals_oldest_first_with_age_and_days_left(client, admin, f):
    now = utcnow()
    today = local_today()
    newest = f.CaseFactory(referred_at=now, intake_deadline=today + dt.timedelta(days=30))
    # Ages are counted in local days: referred at local noon, so a daylight-saving change in
    # between (or the late evening, when UTC is already tomorrow) moves nothing.
    noon = dt.time(12)
    overdue = f.CaseFactory(
        referred_at=local_instant(today - dt.timedelta(days=40), noon),
        intake_deadline=today - dt.timedelta(days=10),
    )
    middle = f.CaseFactory(
        referred_at=local_instant(today - dt.timedelta(days=3), noon),
        intake_deadline=today + dt.timedelta(days=5),
    )
    f.CaseFactory(status=CaseStatus.ACTIVE, referred_at=now - dt.timedelta(days=50))
    awaiting = f.CaseFactory(status=CaseStatus.ACCEPTED, referred_at=now - dt.timedelta(days=9))

    response = client.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200

    new = _section(html, "new-heading")
    assert [int(i) for i in ROW_RE.findall(new)] == [overdue.id, middle.id, newest.id]
    assert "40 days" in new
    assert "3 days" in new
    assert "today" in new
    assert "Overdue by 10 days" in new  # marked in words, not colour only
    assert "portal-badge--overdue" in new
    assert "5 days left" in new
    assert "30 days left" in new
    assert new.count("Overdue by") == 1
    assert [int(i) for i in ROW_RE.findall(_section(html, "awaiting-heading"))] == [awaiting.id]


def test_queue_refreshes_as_an_htmx_fragment(client, admin, f):
    case = f.CaseFactory()
    response = client.get("/admin/", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="queue"')
    assert "<html" not in html
    assert f"/admin/cases/{case.id}" in html
    assert "HX-Request" in response.headers["Vary"]


def test_case_detail_offers_screening(client, admin, f):
    case = f.CaseFactory()
    html = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "Accept referral" in html
    assert "Decline referral" in html
    assert f'name="version" type="hidden" value="{case.version}"' in html
    for reason in get_settings().exclusion_reasons:
        assert f'value="{escape(reason)}"' in html


# --- accept -------------------------------------------------------------------------------


def test_accept_by_normal_post(client, admin, f):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    response = post(client, f"{url}/accept", {"version": case.version, "note": "ok"}, page=url)
    assert response.status_code == 302
    assert response.headers["Location"] == url
    assert _status(case) == CaseStatus.ACCEPTED
    # The accepting case manager takes the case (it had none).
    assert _kinds(case) == [TimelineKind.REFERRAL_ACCEPTED, TimelineKind.CASE_MANAGER_CHANGED]
    assert "Referral accepted." in client.get(url).get_data(as_text=True)


def test_a_form_without_its_version_says_so_and_changes_nothing(client, admin, f):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    response = post(client, f"{url}/accept", {"note": "ok"}, page=url, htmx=True)
    assert response.status_code == 422
    assert "This form is out of date. Reload the page" in response.get_data(as_text=True)
    assert _status(case) == CaseStatus.REFERRED
    assert _kinds(case) == []


def test_accept_by_htmx_answers_the_fragment_and_triggers_the_timeline(client, admin, f):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    response = post(client, f"{url}/accept", {"version": case.version}, page=url, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="workflow">')
    assert "<html" not in html
    assert "Record intake" in html  # the next step is offered in place
    assert 'hx-swap-oob="true"' in html  # the status badge is updated too
    assert "Accepted, awaiting intake" in html
    events = [e.strip() for e in response.headers["HX-Trigger"].split(",")]
    assert "timeline-changed" in events
    assert _status(case) == CaseStatus.ACCEPTED
    # The accepting case manager takes the case (it had none).
    assert _kinds(case) == [TimelineKind.REFERRAL_ACCEPTED, TimelineKind.CASE_MANAGER_CHANGED]


# --- decline ------------------------------------------------------------------------------


def test_decline_with_an_exclusion_reason(client, admin, f):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    reason = get_settings().exclusion_reasons[1]
    response = post(
        client,
        f"{url}/decline",
        {"version": case.version, "reason": reason, "note": "Sold to an undercover officer"},
        page=url,
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.status == CaseStatus.DECLINED
    assert stored.decline_reason == reason
    assert _kinds(case) == [TimelineKind.REFERRAL_DECLINED]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("reason", ["", "Looked at me funny"], ids=["empty", "unknown"])
def test_decline_reason_must_be_one_of_the_settings(client, admin, f, reason, htmx):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    response = post(
        client, f"{url}/decline", {"version": case.version, "reason": reason}, page=url, htmx=htmx
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reason-error"' in html
    assert re.search(r'<select[^>]*aria-describedby="reason-error"', html)
    assert ("<html" in html) is not htmx
    assert _status(case) == CaseStatus.REFERRED
    assert _kinds(case) == []


# --- intake -------------------------------------------------------------------------------


def test_record_intake_by_normal_post(client, admin, f):
    case = f.CaseFactory(status=CaseStatus.ACCEPTED)
    url = f"/admin/cases/{case.id}"
    day = local_today().isoformat()
    response = post(
        client,
        f"{url}/intake",
        {"version": case.version, "completed_on": day},
        page=url,
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.status == CaseStatus.ACTIVE
    assert stored.intake_completed_on.isoformat() == day
    # Intake records no consent: the consent is recorded with its own elements.
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
    assert _kinds(case) == [TimelineKind.INTAKE_COMPLETED]


def test_record_intake_by_htmx(client, admin, f):
    case = f.CaseFactory(status=CaseStatus.ACCEPTED)
    url = f"/admin/cases/{case.id}"
    response = post(
        client,
        f"{url}/intake",
        {"version": case.version, "completed_on": local_today().isoformat()},
        page=url,
        htmx=True,
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<div id="workflow">')
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assert _status(case) == CaseStatus.ACTIVE


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_intake_date_in_the_future_is_refused(client, admin, f, htmx):
    case = f.CaseFactory(status=CaseStatus.ACCEPTED)
    url = f"/admin/cases/{case.id}"
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    response = post(
        client,
        f"{url}/intake",
        {"version": case.version, "completed_on": tomorrow},
        page=url,
        htmx=htmx,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The intake date cannot be in the future." in html
    assert 'aria-describedby="completed_on-error"' in html
    assert _status(case) == CaseStatus.ACCEPTED
    assert _kinds(case) == []


def test_intake_on_a_referral_not_yet_screened_is_refused(client, admin, f):
    case = f.CaseFactory(status=CaseStatus.REFERRED)
    url = f"/admin/cases/{case.id}"
    response = post(
        client,
        f"{url}/intake",
        {"version": case.version, "completed_on": local_today().isoformat()},
        page=url,
    )
    assert response.status_code == 422
    assert "cannot become active" in response.get_data(as_text=True)
    assert _status(case) == CaseStatus.REFERRED
    assert _kinds(case) == []


def test_intake_deadline_is_shown_with_a_frozen_clock(client, login_as, f):
    case = f.CaseFactory(intake_deadline=dt.date(2026, 3, 20))
    # 02:00 UTC on March 26 is March 25 in the program's time zone: 5 days late, not 6.
    with time_machine.travel(dt.datetime(2026, 3, 26, 2, 0, tzinfo=dt.UTC), tick=False):
        login_as(f.admin())
        html = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert "overdue by 5 days" in html


# --- stale versions -----------------------------------------------------------------------


ACTIONS = {
    "accept": (CaseStatus.REFERRED, {}),
    "decline": (CaseStatus.REFERRED, {"reason": "Under 18"}),
    "intake": (CaseStatus.ACCEPTED, {"completed_on": "today"}),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_stale_version_answers_409_and_changes_nothing(client, admin, f, action, htmx):
    status, data = ACTIONS[action]
    case = f.CaseFactory(status=status)
    url = f"/admin/cases/{case.id}"
    token_page = url  # the admin loaded the page at this version...
    stale = case.version
    case.notes = "Someone else edited the referral meanwhile."
    db.session.commit()
    assert case.version == stale + 1

    if data.get("completed_on") == "today":
        data = {"completed_on": local_today().isoformat()}
    response = post(
        client, f"{url}/{action}", {"version": stale, **data}, page=token_page, htmx=htmx
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in html
    assert f'name="version" type="hidden" value="{stale + 1}"' in html  # the fresh copy
    assert _status(case) == status
    assert _kinds(case) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "Enter the intake date."), ("31/12/2025", "Enter a real date")],
    ids=["empty", "malformed"],
)
def test_intake_date_missing_or_malformed_is_explained(client, admin, f, value, message):
    case = f.CaseFactory(status=CaseStatus.ACCEPTED)
    url = f"/admin/cases/{case.id}"
    response = post(
        client, f"{url}/intake", {"version": case.version, "completed_on": value}, page=url
    )
    assert response.status_code == 422
    assert re.search(rf'id="completed_on-error"[^>]*>{re.escape(message)}', response.text)
    assert _status(case) == CaseStatus.ACCEPTED


def test_decline_by_htmx(client, admin, f):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    reason = get_settings().exclusion_reasons[0]
    response = post(
        client, f"{url}/decline", {"version": case.version, "reason": reason}, page=url, htmx=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="workflow">')
    assert f"Declined: {escape(reason)}" in html
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assert _kinds(case) == [TimelineKind.REFERRAL_DECLINED]


def test_htmx_sends_the_csrf_token_as_a_header_only(client, admin, f):
    case = f.CaseFactory()
    url = f"/admin/cases/{case.id}"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # from <body hx-headers>
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    response = client.post(f"{url}/accept", data={"version": case.version}, headers=headers)
    assert response.status_code == 200
    assert _status(case) == CaseStatus.ACCEPTED
