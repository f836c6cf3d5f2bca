"""The referral packet on a provider's participant page: what the provider needs (date of
birth, phone, case manager, why referred) always; the relevant needs only while a consent in
force names the provider's organisation; attempts to reach the person and the outcome "could
not reach the person"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Case,
    ContactAttempt,
    DeclineReason,
    NeedDomain,
    NeedLevel,
    ReferralStatus,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
)
from portal.services import contact_attempts, referrals
from tests.conftest import post

NEEDS = {
    NeedDomain.SUBSTANCE_USE: NeedLevel.HIGH,
    NeedDomain.MENTAL_HEALTH: NeedLevel.MODERATE,
    NeedDomain.HOUSING: NeedLevel.HIGH,  # not a counselling service's business
}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def packet(world, f):
    """Our organisation's accepted counselling referral of a participant with a phone, an
    assigned case manager with a work phone and a latest assessment (older ones kept)."""
    referral = world.participant(first_name="Ada")
    case = db.session.get(Case, referral.case_id)
    case.person.phone = "304-555-0123"
    manager = f.case_manager(name="Marcus Reyes", work_phone="(304) 555-0101 ext. 14")
    case.case_manager_id = manager.id
    f.AssessmentFactory(
        case=case,
        needs={NeedDomain.SUBSTANCE_USE: NeedLevel.LOW},
        assessed_on=local_today() - dt.timedelta(days=30),
    )
    latest = f.AssessmentFactory(case=case, needs=NEEDS)
    for need in latest.needs:
        need.note = f"{need.domain.label} note"
    db.session.flush()
    return referral


def _page(client, referral) -> str:
    return text(client.get(f"/provider/participants/{referral.case_id}"))


def test_the_packet_shows_who_to_expect_and_who_to_call(client, login_as, world, packet):
    born = db.session.get(Case, packet.case_id).person.dob
    login_as(world.staff)
    page = _page(client, packet)
    assert f"{born:%b %-d, %Y}" in page
    assert '<a class="usa-link" href="tel:3045550123">304-555-0123</a>' in page
    assert "Marcus Reyes" in page
    assert '<a class="usa-link" href="tel:3045550101;ext=14">(304) 555-0101 ext. 14</a>' in page
    assert "Needs a place" in page  # why the case manager referred the person
    # Without a consent naming the organisation, no need is shown.
    assert "shared once the participant's consent names" in page
    assert "Substance use note" not in page and "High" not in page


def test_the_roster_row_shows_the_date_of_birth_beside_the_name(client, login_as, world):
    one = world.participant(first_name="Sam")
    two = world.participant(first_name="Sam")
    borns = [db.session.get(Case, r.case_id).person.dob for r in (one, two)]
    assert borns[0] != borns[1]
    login_as(world.staff)
    page = text(client.get("/provider/"))
    for born in borns:
        assert f"Born {born:%b %-d, %Y}" in page


def test_no_case_manager_is_said_plainly(client, login_as, world):
    referral = world.participant()
    login_as(world.staff)
    assert "No case manager assigned yet" in _page(client, referral)


def test_a_case_manager_without_a_phone_is_named_without_a_link(client, login_as, world, f):
    referral = world.participant()
    case = db.session.get(Case, referral.case_id)
    case.case_manager_id = f.case_manager(name="Dana Whitlock").id
    login_as(world.staff)
    page = _page(client, referral)
    assert 'Dana Whitlock <span class="portal-meta">(no work phone on file)</span>' in page


def _consent(f, referral, **kw):
    case = db.session.get(Case, referral.case_id)
    return f.ConsentFactory(case=case, **kw)


def test_needs_show_under_a_consent_naming_the_organisation(client, login_as, world, packet, f):
    _consent(f, packet, provider_ids=[world.service.organization_id])
    login_as(world.staff)
    page = _page(client, packet)
    assert 'Substance use</strong>: <span class="portal-need portal-need--high">High' in page
    assert "Mental health note" in page
    # The latest assessment only, and only the service's areas; level none left out.
    assert "Housing note" not in page and "Family" not in page
    assert "portal-need--low" not in page
    assert "shared once the participant" not in page


@pytest.mark.parametrize("state", ["revoked", "expired", "legacy", "unsigned"])
def test_needs_are_hidden_again_when_the_consent_is_not_in_force(
    client, login_as, world, packet, f, state
):
    consent = _consent(f, packet, provider_ids=[world.service.organization_id])
    login_as(world.staff)
    assert "Mental health note" in _page(client, packet)
    if state == "revoked":
        consent.revoked_on = local_today()
    elif state == "expired":
        consent.expires_on = local_today() - dt.timedelta(days=1)
    elif state == "legacy":
        consent.legacy = True
    else:
        consent.signed_on = None
    db.session.commit()
    page = _page(client, packet)
    assert "Mental health note" not in page
    assert "shared once the participant's consent names" in page


def test_a_consent_naming_another_organisation_shows_no_need(client, login_as, world, packet, f):
    _consent(f, packet, provider_ids=[world.other_service.organization_id])
    login_as(world.staff)
    assert "Mental health note" not in _page(client, packet)


def test_another_organisations_staff_get_404_and_no_packet(client, login_as, world, packet, f):
    _consent(f, packet, provider_ids=[world.service.organization_id])
    login_as(world.other_staff)
    assert client.get(f"/provider/participants/{packet.case_id}").status_code == 404
    data = {
        f"attempt-{packet.id}-attempted_on": local_today().isoformat(),
        f"attempt-{packet.id}-method": "phone",
    }
    response = post(
        client, f"/provider/service-referrals/{packet.id}/attempts", data, page="/provider/"
    )
    assert response.status_code == 404
    url = f"/provider/service-referrals/{packet.id}/unreachable"
    response = post(client, url, page="/provider/")
    assert response.status_code == 404
    assert db.session.scalar(select(ContactAttempt.id)) is None


def test_the_page_with_its_packets_is_audited_as_one_view_of_the_record(
    client, login_as, world, packet
):
    login_as(world.staff)
    _page(client, packet)
    viewed = db.session.execute(
        select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.case_id).where(
            AuditEvent.action == AuditAction.VIEW_RECORD, AuditEvent.user_id == world.staff.id
        )
    ).all()
    assert viewed == [("cases", packet.case_id, packet.case_id)]


def test_a_closed_referral_keeps_its_packet_a_while_and_a_declined_one_none(
    client, login_as, world, f
):
    recent = world.participant(first_name="Ada")
    referrals.end_service_referral(recent, world.staff, "Moved away")
    old = f.ServiceReferralFactory(
        case=db.session.get(Case, recent.case_id),
        service=world.service,
        created_by=world.admin,
        completed=True,
        note="Old group",
    )
    old.closed_at = old.closed_at - dt.timedelta(days=60)
    login_as(world.staff)
    page = _page(client, recent)
    assert f'id="packet-{recent.id}"' in page
    assert f'id="packet-{old.id}"' not in page
    # No form to record an attempt on a closed referral.
    assert f"attempt-{recent.id}-method" not in page


# --- attempts and "could not reach the person" -------------------------------------------------


def _attempt(client, referral, htmx=True, **values):
    data = {
        f"attempt-{referral.id}-attempted_on": local_today().isoformat(),
        f"attempt-{referral.id}-method": "phone",
        f"attempt-{referral.id}-note": "No answer",
    }
    data.update({f"attempt-{referral.id}-{k}": v for k, v in values.items()})
    return post(
        client,
        f"/provider/service-referrals/{referral.id}/attempts",
        data,
        page=f"/provider/participants/{referral.case_id}",
        htmx=htmx,
    )


def _close(client, referral, htmx=True):
    return post(
        client,
        f"/provider/service-referrals/{referral.id}/unreachable",
        page=f"/provider/participants/{referral.case_id}",
        htmx=htmx,
    )


def test_an_attempt_is_recorded_and_listed(client, login_as, world, packet):
    login_as(world.staff)
    response = _attempt(client, packet)
    assert response.status_code == 200, text(response)
    body = text(response)
    assert body.lstrip().startswith(f'<section id="packet-{packet.id}"')
    assert "Attempt recorded." in body and "Phone call: No answer" in body
    assert response.headers["HX-Trigger"] == "timeline-changed"
    page = _page(client, packet)
    assert "Phone call: No answer" in page
    assert "The provider tried to reach the participant" in page  # the timeline entry


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"attempted_on": "tomorrow"},
            "attempted_on",
            "An attempt cannot be recorded for a date in the future.",
        ),
        ({"attempted_on": ""}, "attempted_on", "Enter the date of the attempt."),
        ({"method": "pigeon"}, "method", "Not a valid choice."),
        ({"method": ""}, "method", "Choose how you tried to reach the person."),
        ({"note": "x" * 501}, "note", "Use at most 500 characters."),
        (
            {"attempted_on": "2000-01-01"},
            "attempted_on",
            "The referral was made on",
        ),
    ],
)
def test_a_bad_attempt_is_refused_beside_its_field(
    client, login_as, world, packet, values, field, message
):
    if values.get("attempted_on") == "tomorrow":
        values = {"attempted_on": (local_today() + dt.timedelta(days=1)).isoformat()}
    login_as(world.staff)
    response = _attempt(client, packet, **values)
    assert response.status_code == 422
    body = text(response)
    assert message in body
    error = re.search(rf'id="attempt-{packet.id}-{field}-error"[^>]*>([^<]*)<', body)
    assert error and message in error.group(1)
    assert db.session.scalar(select(ContactAttempt.id)) is None


def test_closing_without_an_attempt_is_refused_with_a_message(client, login_as, world, packet):
    login_as(world.staff)
    response = _close(client, packet)
    assert response.status_code == 422
    assert "Record at least one attempt to reach the person" in text(response)
    db.session.expire_all()
    assert db.session.get(ServiceReferral, packet.id).status == ReferralStatus.ACCEPTED


def test_an_accepted_referral_closed_as_unreachable_ends_and_gives_the_place_back(
    client, login_as, world, packet
):
    places = world.service.capacity_available
    login_as(world.staff)
    _attempt(client, packet)
    _attempt(client, packet, method="text", note="Texted the times")
    response = _close(client, packet)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/provider/participants/{packet.case_id}"
    db.session.expire_all()
    closed = db.session.get(ServiceReferral, packet.id)
    assert closed.status == ReferralStatus.ENDED
    assert closed.end_reason == "Could not reach the person"
    assert closed.service.capacity_available == places + 1
    entry = db.session.scalar(
        select(TimelineEntry).where(TimelineEntry.kind == TimelineKind.SERVICE_ENDED)
    )
    assert entry.payload["reason"] == "Could not reach the person"
    assert entry.payload["note"] == "2 attempts to reach the person"
    page = _page(client, packet)
    assert "Closed the referral of Ada Doe: could not reach the person." in page
    # Closed: no more attempts (refused if sent anyway), the attempts still listed.
    assert f"attempt-{packet.id}-method" not in page
    assert "Texted the times" in page
    refused = _attempt(client, packet)
    assert refused.status_code == 422
    assert "attempts are recorded on a pending or accepted referral only" in text(refused)


def test_a_pending_referral_closed_as_unreachable_is_declined(client, login_as, world):
    pending = world.participant(accept=False)
    login_as(world.staff)
    assert _attempt(client, pending).status_code == 200
    response = _close(client, pending, htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/"
    db.session.expire_all()
    closed = db.session.get(ServiceReferral, pending.id)
    assert (closed.status, closed.decline_reason) == (
        ReferralStatus.DECLINED,
        DeclineReason.COULD_NOT_REACH,
    )
    # Declined: the organisation no longer sees the participant.
    assert client.get(f"/provider/participants/{pending.case_id}").status_code == 404


def test_could_not_reach_is_not_a_reason_of_the_decline_form(client, login_as, world):
    pending = world.participant(accept=False)
    login_as(world.staff)
    assert 'value="could_not_reach"' not in text(client.get("/provider/"))
    response = post(
        client,
        f"/provider/service-referrals/{pending.id}/decline",
        {f"decline-{pending.id}-reason": "could_not_reach"},
        page="/provider/",
        htmx=True,
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(ServiceReferral, pending.id).status == ReferralStatus.PENDING


def test_the_case_manager_sees_the_attempts_and_the_outcome(client, login_as, world, packet):
    contact_attempts.record_attempt(packet, world.staff, local_today(), "phone", "Voicemail full")
    referrals.close_unreachable(packet, world.staff)
    login_as(world.admin)
    page = text(client.get(f"/admin/cases/{packet.case_id}"))
    assert "Could not reach the person" in page
    assert "1 attempt to reach the person" in page
    assert "Phone call: Voicemail full" in page
    assert "The provider tried to reach the participant" in page


def test_the_officer_never_sees_an_attempt_or_the_outcome(client, login_as, world, packet, f):
    _consent(f, packet, discloses_outcome=True, discloses_attendance=True)
    contact_attempts.record_attempt(packet, world.staff, local_today(), "phone", "Voicemail full")
    referrals.close_unreachable(packet, world.staff)
    officer = db.session.get(Case, packet.case_id).officer
    login_as(officer)
    page = text(client.get(f"/officer/referrals/{packet.case_id}"))
    assert "Engaged in services" in page  # the officer does see the case's status
    for hidden in ("tried to reach", "Voicemail full", "Could not reach", "attempt"):
        assert hidden not in page, hidden
