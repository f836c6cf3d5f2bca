"""The officer's inbox: newest first, keyset-paged, each update linking to its case, the 2.32
notice with what a consent disclosed (recorded once), the unread count in the header (polled
without an audit row), mark read and mark all read, and the choice of e-mail."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import (
    Agency,
    AuditEvent,
    Disclosure,
    Notification,
    NotificationMode,
    NotificationPreference,
    TimelineEntry,
    TimelineKind,
)
from portal.services import cases
from portal.services.consents import revoke_consent
from portal.services.disclosures import REDISCLOSURE_NOTICE
from portal.services.timeline import OFFICER_TEXT
from tests.conftest import csrf_token, post
from tests.web.test_query_counts_cases import count_queries

HTMX = {"HX-Request": "true"}
POLL = {"HX-Request": "true", "X-Portal-Poll": "1"}
ITEM_RE = re.compile(r'id="notification-(\d+)"')
ACCEPTED = OFFICER_TEXT[TimelineKind.REFERRAL_ACCEPTED]


def _accepted(f, officer, n: int, admin=None) -> list:
    """n referrals of the officer's accepted by the office, oldest first (n notifications)."""
    admin = admin or f.admin()
    made = []
    for _ in range(n):
        case = f.CaseFactory(officer=officer)
        cases.accept_referral(case, admin)
        made.append(case)
    return made


def _ids(html: str) -> list[int]:
    return [int(i) for i in ITEM_RE.findall(html)]


def _mine(officer) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == officer.id).order_by(Notification.id)
        )
    )


def _audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _unread(client) -> str:
    response = client.get("/officer/inbox/unread", headers=POLL)
    assert response.status_code == 200
    return unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))).strip()


def test_the_inbox_lists_updates_newest_first_each_linking_to_its_case(client, login_as, f):
    officer = f.officer()
    made = _accepted(f, officer, 3)
    login_as(officer)
    html = unescape(client.get("/officer/inbox").get_data(as_text=True))
    ids = _ids(html)
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    for case in made:
        assert f'href="/officer/referrals/{case.id}"' in html
        assert f"Case {case.id}: {case.person.full_name}" in html
    assert html.count(ACCEPTED) == 3
    assert REDISCLOSURE_NOTICE not in html  # screening needs no consent


def test_keyset_pages_are_bounded_and_cost_the_same(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 12)  # page size 5 in tests
    login_as(officer)
    html = client.get("/officer/inbox").get_data(as_text=True)
    first = _ids(html)
    assert len(first) == 5
    seen, cursor = list(first), re.search(r"/officer/inbox\?before=(\d+)", html).group(1)
    assert int(cursor) == first[-1]
    while cursor:
        db.session.commit()
        with count_queries() as statements:
            response = client.get(f"/officer/inbox?before={cursor}", headers=HTMX)
        assert len(statements) <= 8  # the same few queries whatever the page
        fragment = response.get_data(as_text=True)
        assert "<html" not in fragment
        page = _ids(fragment)
        assert 0 < len(page) <= 5
        assert max(page) < min(seen)
        seen += page
        found = re.search(r"/officer/inbox\?before=(\d+)", fragment)
        cursor = found.group(1) if found else None
    assert len(seen) == 12 == len(set(seen))
    # Without htmx the link is a page of its own.
    page = client.get(f"/officer/inbox?before={first[-1]}")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_newest_first_means_the_time_of_the_update(client, login_as, f):
    """An update recorded later for an earlier time (a backfill, say) takes its place in time."""
    officer = f.officer()
    made = _accepted(f, officer, 7)
    late = _mine(officer)[-1]
    late.created_at = _mine(officer)[0].created_at - dt.timedelta(days=1)
    login_as(officer)
    html = client.get("/officer/inbox").get_data(as_text=True)
    first = _ids(html)
    assert late.id not in first and len(first) == 5
    cursor = re.search(r"/officer/inbox\?before=(\d+)", html).group(1)
    rest = _ids(client.get(f"/officer/inbox?before={cursor}", headers=HTMX).get_data(as_text=True))
    assert rest[-1] == late.id and len(first + rest) == len(made)
    # "Mark all read" covers every update there is, whatever its time.
    assert f'name="up_to" type="hidden" value="{late.id}"' in html


@pytest.mark.parametrize("before", ["abc", "-4", "99999999999999", "0"])
def test_a_bad_cursor_shows_the_first_page(client, login_as, f, before):
    officer = f.officer()
    _accepted(f, officer, 2)
    login_as(officer)
    response = client.get(f"/officer/inbox?before={before}")
    assert response.status_code == 200
    assert len(_ids(response.get_data(as_text=True))) == 2


def test_an_officer_sees_only_their_own_updates(client, login_as, f):
    officer = f.officer()
    colleague = f.officer(agency=db.session.get(Agency, officer.agency_id))
    _accepted(f, colleague, 2)
    login_as(officer)
    html = client.get("/officer/inbox").get_data(as_text=True)
    assert _ids(html) == [] and "No updates yet" in html
    theirs = _mine(colleague)[0]
    for url in (f"/officer/inbox/{theirs.id}/read", f"/officer/inbox/{theirs.id}/open"):
        assert post(client, url, page="/officer/inbox").status_code == 404
    assert _mine(colleague)[0].read_at is None


def test_post_screening_updates_carry_the_notice_and_are_recorded_once(client, login_as, f):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1))
    cases.complete_intake(case, admin, local_today())
    login_as(officer)
    for _ in range(2):
        html = unescape(client.get("/officer/inbox").get_data(as_text=True))
        assert OFFICER_TEXT[TimelineKind.INTAKE_COMPLETED] in html
        assert REDISCLOSURE_NOTICE in html
    client.get(f"/officer/referrals/{case.id}")  # the case page shows the same event
    rows = list(db.session.scalars(select(Disclosure)))
    assert [(r.recipient_id, r.what) for r in rows] == [(officer.id, "intake_completed")]


def test_a_revoked_consent_takes_its_updates_out_of_the_inbox(client, login_as, f):
    admin, officer = f.admin(), f.officer()
    case = f.CaseFactory(officer=officer, accepted=True)
    consent = f.ConsentFactory(case=case, signed_on=local_today() - dt.timedelta(days=1))
    cases.complete_intake(case, admin, local_today())
    login_as(officer)
    assert _unread(client) == "1 unread"
    revoke_consent(consent, admin, local_today(), "By letter")
    html = client.get("/officer/inbox").get_data(as_text=True)
    assert OFFICER_TEXT[TimelineKind.INTAKE_COMPLETED] not in html
    assert _ids(html) == []
    assert _unread(client) == ""


def test_the_unread_count_poll_writes_no_audit_row(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 3)
    login_as(officer)
    db.session.commit()
    before = _audit_rows()
    for _ in range(3):
        assert _unread(client) == "3 unread"
    assert _audit_rows() == before
    # The header of every officer page shows it, polled every 30 seconds as a poll.
    html = client.get("/officer/referrals").get_data(as_text=True)
    header = re.search(r'<span id="nav-unread-count"[^>]*>', html).group(0)
    assert 'hx-get="/officer/inbox/unread"' in header
    assert "X-Portal-Poll" in header and "every 30s" in header
    # Without htmx the address is the inbox.
    assert client.get("/officer/inbox/unread").status_code == 302


def test_the_unread_count_stops_at_99_plus(client, login_as, f):
    officer = f.officer()
    case = f.CaseFactory(officer=officer)
    now = utcnow()
    for i in range(101):
        entry = TimelineEntry(
            case_id=case.id, kind=TimelineKind.REFERRAL_ACCEPTED, payload={}, created_at=now
        )
        db.session.add(entry)
        db.session.add(
            Notification(
                user_id=officer.id,
                case_id=case.id,
                entry=entry,
                kind=TimelineKind.REFERRAL_ACCEPTED,
                email=NotificationMode.NONE,
                created_at=now + dt.timedelta(seconds=i),
            )
        )
    login_as(officer)
    db.session.commit()
    with count_queries() as statements:
        label = _unread(client)
    assert label == "99+ unread"
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects  # the session's user, and the bounded count


def test_mark_read_with_htmx_updates_the_item_and_the_count(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 2)
    login_as(officer)
    newest = _mine(officer)[-1]
    response = post(client, f"/officer/inbox/{newest.id}/read", page="/officer/inbox", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="notification-{newest.id}"' in html and ">New<" not in html
    assert 'id="nav-unread-count" hx-swap-oob="innerHTML"' in html
    assert "1<span" in html  # one left unread
    assert _mine(officer)[-1].read_at is not None
    assert _mine(officer)[0].read_at is None
    # Again: nothing changes (read once).
    first = _mine(officer)[-1].read_at
    post(client, f"/officer/inbox/{newest.id}/read", page="/officer/inbox", htmx=True)
    assert _mine(officer)[-1].read_at == first


def test_mark_read_without_htmx_returns_to_the_inbox(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 1)
    login_as(officer)
    notification = _mine(officer)[0]
    response = post(client, f"/officer/inbox/{notification.id}/read", page="/officer/inbox")
    assert response.status_code == 302 and response.location.endswith("/officer/inbox")
    assert _mine(officer)[0].read_at is not None


def test_opening_an_update_marks_it_read_and_goes_to_the_case(client, login_as, f):
    officer = f.officer()
    made = _accepted(f, officer, 2)
    login_as(officer)
    first, second = _mine(officer)
    response = post(client, f"/officer/inbox/{first.id}/open", page="/officer/inbox")
    assert response.status_code == 303
    assert response.location.endswith(f"/officer/referrals/{made[0].id}")
    response = post(client, f"/officer/inbox/{second.id}/open", page="/officer/inbox", htmx=True)
    assert response.headers["HX-Redirect"] == f"/officer/referrals/{made[1].id}"
    assert all(n.read_at is not None for n in _mine(officer))
    html = client.get("/officer/inbox").get_data(as_text=True)
    assert ">New<" not in html and "Mark read" not in html


def test_mark_all_read_leaves_what_arrived_after_the_page(client, login_as, f):
    admin, officer = f.admin(), f.officer()
    _accepted(f, officer, 3, admin)
    login_as(officer)
    html = client.get("/officer/inbox").get_data(as_text=True)
    up_to = re.search(r'name="up_to" type="hidden" value="(\d+)"', html).group(1)
    _accepted(f, officer, 1, admin)  # arrives while the page is open
    token = csrf_token(client, "/officer/inbox")
    response = client.post(
        "/officer/inbox/read-all",
        data={"csrf_token": token, "up_to": up_to},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="inbox-results"' in fragment and "All updates marked as read." in fragment
    assert 'hx-swap-oob="innerHTML"' in fragment
    unread = [n for n in _mine(officer) if n.read_at is None]
    assert [n.id for n in unread] == [_mine(officer)[-1].id]
    assert _unread(client) == "1 unread"


def test_mark_all_read_without_htmx_and_with_a_stale_form(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 2)
    login_as(officer)
    response = post(client, "/officer/inbox/read-all", {"up_to": "x'; --"}, page="/officer/inbox")
    assert response.status_code == 422
    assert "out of date" in response.get_data(as_text=True)
    assert all(n.read_at is None for n in _mine(officer))
    response = post(
        client, "/officer/inbox/read-all", {"up_to": "-1"}, page="/officer/inbox", htmx=True
    )
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="inbox-results">') and "out of date" in fragment
    newest = _mine(officer)[-1].id
    response = post(client, "/officer/inbox/read-all", {"up_to": newest}, page="/officer/inbox")
    assert response.status_code == 302
    assert all(n.read_at is not None for n in _mine(officer))


def test_state_changes_need_the_csrf_token(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 1)
    login_as(officer)
    notification = _mine(officer)[0]
    for url in (
        f"/officer/inbox/{notification.id}/read",
        f"/officer/inbox/{notification.id}/open",
        "/officer/inbox/read-all",
    ):
        assert client.post(url, data={"up_to": notification.id}).status_code == 400
    assert _mine(officer)[0].read_at is None


@pytest.mark.parametrize("who", ["admin", "provider"])
def test_only_officers_have_an_inbox(client, login_as, f, who):
    login_as(getattr(f, who)())
    for url in ("/officer/inbox", "/officer/settings/notifications"):
        assert client.get(url).status_code == 403


def test_the_inbox_fits_a_phone(client, login_as, f):
    officer = f.officer()
    _accepted(f, officer, 1)
    login_as(officer)
    html = client.get("/officer/inbox").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width' in html
    assert "<table" not in html  # cards, not a wide table
    assert "style=" not in html and "<script>" not in html  # strict CSP


# --- the choice of e-mail -----------------------------------------------------------------------


def test_the_settings_page_shows_the_default_and_saves_a_choice(client, login_as, f):
    officer = f.officer()
    login_as(officer)
    html = client.get("/officer/settings/notifications").get_data(as_text=True)
    assert re.search(r'value="immediate"[^>]*checked|checked[^>]*value="immediate"', html)
    response = post(client, "/officer/settings/notifications", {"mode": "digest"})
    assert response.status_code == 302
    preference = db.session.get(NotificationPreference, officer.id)
    assert preference.mode == NotificationMode.DIGEST
    audited = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "notification_preferences")
    )
    assert (audited.user_id, audited.object_id) == (officer.id, officer.id)  # the choice is audited
    html = client.get("/officer/settings/notifications").get_data(as_text=True)
    assert "Your notification settings are saved." in html
    assert re.search(r'value="digest"[^>]*checked|checked[^>]*value="digest"', html)


@pytest.mark.parametrize("value", ["", "weekly", "immediate\x00"])
def test_a_bad_choice_is_refused_beside_the_field(client, login_as, f, value):
    officer = f.officer()
    login_as(officer)
    response = post(client, "/officer/settings/notifications", {"mode": value})
    assert response.status_code == 422
    assert "usa-error-message" in response.get_data(as_text=True)
    assert db.session.get(NotificationPreference, officer.id) is None


def test_a_confirmed_return_tells_the_arresting_officer_the_held_charge_and_its_date(
    client, login_as, f
):
    from portal.models import ComplianceFlag, ReferralType
    from portal.services import compliance
    from portal.services.compliance_review import confirm_flag

    officer = f.officer()
    case = f.CaseFactory(
        accepted=True,
        officer=officer,
        referral_type=ReferralType.ARREST,
        incident_number="2026-55120",
        offences="Possession of a controlled substance",
        charge_file_by=local_today() + dt.timedelta(days=300),
        intake_deadline=local_today() - dt.timedelta(days=2),
    )
    compliance.evaluate_case(case)
    flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.case_id == case.id))
    # Nothing reaches the officer until a case manager confirms.
    assert [n.kind for n in _mine(officer)] == []
    confirm_flag(flag, f.admin(), flag.version)
    assert [n.kind for n in _mine(officer)] == [TimelineKind.CASE_NON_COMPLIANT]
    login_as(officer)
    html = unescape(client.get("/officer/inbox").get_data(as_text=True))
    assert "Returned for non-compliance" in html
    assert "incident 2026-55120" in html
    assert f"File by {case.charge_file_by:%b} " in html
    assert f"Case {case.id}: {case.referred_name}" in html
