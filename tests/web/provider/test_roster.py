"""Provider roster: scoping, inline accept/decline through htmx, the pending counter."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Case,
    ReferralStatus,
    Service,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
    User,
)
from tests import factories
from tests.conftest import login, post
from tests.factories import ACTIVE_HISTORY


def test_roster_lists_own_participants_pending_first(client, login_as, world):
    accepted = world.participant(first_name="Ada")
    pending = world.participant(accept=False, first_name="Bea")
    world.participant(accept=False, service=world.other_service, first_name="Cy")
    login_as(world.staff)
    page = client.get("/provider/").get_data(as_text=True)
    assert "Ada Doe" in page and "Bea Doe" in page
    assert "Cy Doe" not in page
    assert page.index(f'id="referral-{pending.id}"') < page.index(f'id="referral-{accepted.id}"')
    assert re.search(r'<span id="nav-pending-count"[^>]*>\(1 pending\)</span>', page)
    assert "1 referral is waiting for your decision." in page
    assert 'role="status" aria-live="polite"' in page
    # htmx must not copy style attributes while settling swapped rows: the CSP forbids them
    assert '"attributesToSettle":["class","width","height"]' in page


def test_inline_accept_returns_the_row_and_the_oob_counter(client, login_as, world):
    referral = world.participant(accept=False, first_name="Ada")
    world.participant(accept=False, first_name="Bea")
    login_as(world.staff)
    response = post(
        client, f"/provider/service-referrals/{referral.id}/accept", page="/provider/", htmx=True
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="referral-{referral.id}"')
    assert "portal-badge--accepted" in body and "Accepted Ada Doe." in body
    assert '<span id="nav-pending-count" hx-swap-oob="innerHTML">(1 pending)</span>' in body
    assert '<span id="pending-summary" hx-swap-oob="innerHTML">1 referral is waiting' in body
    assert "timeline-changed" in response.headers["HX-Trigger"]
    assert "<html" not in body
    assert db.session.get(ServiceReferral, referral.id).status == ReferralStatus.ACCEPTED


def test_accept_without_htmx_redirects_with_a_message(client, login_as, world):
    referral = world.participant(accept=False)
    login_as(world.staff)
    response = post(client, f"/provider/service-referrals/{referral.id}/accept", page="/provider/")
    assert response.status_code == 302
    assert "Accepted" in client.get("/provider/").get_data(as_text=True)


def test_accepting_twice_is_refused_with_a_message(client, login_as, world):
    referral = world.participant()
    login_as(world.staff)
    response = post(
        client, f"/provider/service-referrals/{referral.id}/accept", page="/provider/", htmx=True
    )
    assert response.status_code == 422
    assert "cannot become accepted" in response.get_data(as_text=True)


def test_officer_sees_engaged_without_the_service_name(client, login_as, world):
    referral = world.participant(accept=False)
    case = db.session.get(Case, referral.case_id)
    officer = db.session.get(User, case.officer_id)
    factories.ConsentFactory(case=case)  # status-level progress, to the referring agency
    login_as(world.staff)
    post(client, f"/provider/service-referrals/{referral.id}/accept", page="/provider/", htmx=True)
    client.post("/logout", data={"csrf_token": ""})
    officer_client = client.application.test_client()
    login(officer_client, officer)
    page = officer_client.get(f"/officer/referrals/{case.id}").get_data(as_text=True)
    assert "Engaged in services" in page
    assert "Harm reduction clinic" not in page
    assert "Needs a place" not in page


def test_decline_needs_a_reason_and_releases_the_place(client, login_as, world):
    referral = world.participant(accept=False, first_name="Ada")
    service_id = world.service.id
    held = db.session.get(Service, service_id).capacity_available
    login_as(world.staff)
    url = f"/provider/service-referrals/{referral.id}/decline"
    prefix = f"decline-{referral.id}"
    missing = post(client, url, {f"{prefix}-reason": ""}, page="/provider/", htmx=True)
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    assert "Choose a reason." in body and '<details class="portal-disclosure" open>' in body
    assert 'aria-invalid="true"' in body
    other = post(client, url, {f"{prefix}-reason": "other"}, page="/provider/", htmx=True)
    assert other.status_code == 422
    assert "Say why in the note" in other.get_data(as_text=True)
    assert db.session.get(ServiceReferral, referral.id).status == ReferralStatus.PENDING
    done = post(
        client,
        url,
        {f"{prefix}-reason": "no_capacity", f"{prefix}-note": "Full until June"},
        page="/provider/",
        htmx=True,
    )
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert "portal-badge--declined" in body and "No capacity" in body
    assert '<span id="pending-summary" hx-swap-oob="innerHTML">No referrals are waiting' in body
    stored = db.session.get(ServiceReferral, referral.id)
    assert stored.status == ReferralStatus.DECLINED
    assert db.session.get(Service, service_id).capacity_available == held + 1
    assert "Detox" not in client.get("/provider/").get_data(as_text=True)


def test_another_organisations_referral_answers_404(client, login_as, world):
    theirs = world.participant(accept=False, service=world.other_service)
    login_as(world.staff)
    accept = post(
        client, f"/provider/service-referrals/{theirs.id}/accept", page="/provider/", htmx=True
    )
    decline = post(
        client,
        f"/provider/service-referrals/{theirs.id}/decline",
        {f"decline-{theirs.id}-reason": "no_capacity"},
        page="/provider/",
        htmx=True,
    )
    assert (accept.status_code, decline.status_code) == (404, 404)
    assert db.session.get(ServiceReferral, theirs.id).status == ReferralStatus.PENDING
    kinds = db.session.scalars(
        select(TimelineEntry.kind)
        .where(TimelineEntry.case_id == theirs.case_id)
        .order_by(TimelineEntry.created_at, TimelineEntry.id)
    ).all()
    # The case's history up to intake, then only the assignment: no decision was written.
    assert kinds == [*ACTIVE_HISTORY, TimelineKind.SERVICE_REFERRED]


def test_other_roles_are_kept_out(client, login_as, world):
    login_as(world.admin)
    assert client.get("/provider/").status_code == 403


def test_the_nav_counter_follows_new_referrals_without_a_reload(client, login_as, world):
    login_as(world.staff)
    html = client.get("/provider/").get_data(as_text=True)
    assert 'hx-get="/provider/pending-count"' in html
    poll = {"HX-Request": "true", "X-Portal-Poll": "1"}
    assert client.get("/provider/pending-count", headers=poll).get_data(as_text=True) == ""
    world.participant(accept=False)  # the office assigns a service meanwhile
    world.participant(accept=False, service=world.other_service)  # another organisation's
    response = client.get("/provider/pending-count", headers=poll)
    assert response.get_data(as_text=True) == "(1 pending)"
    assert "HX-Request" in response.headers["Vary"]
    assert client.get("/provider/pending-count").status_code == 302  # not a page of its own
