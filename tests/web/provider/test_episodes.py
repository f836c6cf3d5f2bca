"""The provider's episode pages: the roster shows awaiting admission / admitted / discharged
instead of attendance; the participant page admits (date and checklist) and discharges (date,
outcome, step-down, note), refusing bad input beside the field with 422 (htmx) and saving
nothing; another organisation's referral answers 404; no officer sees any of it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Case,
    Episode,
    ReferralStatus,
    ServiceReferral,
    StepDownState,
    TimelineEntry,
    TimelineKind,
)
from portal.services import episodes
from tests.conftest import post

CRITERIA = [
    "Actively withdrawing from opioids, alcohol or benzodiazepines",
    "Commits to long-term treatment upon discharge",
]


def text(response) -> str:
    return response.get_data(as_text=True)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def bed(f):
    service = f.episode_service(name="Crisis Stabilization", admission_criteria=list(CRITERIA))
    staff = f.provider(organization=service.organization)
    office = f.admin()
    referral = f.ServiceReferralFactory(
        service=service, created_by=office, accepted=True, decided_by=staff
    )
    target = f.ServiceFactory(
        name="Intensive Outpatient Treatment", capacity_max=4, capacity_available=4
    )
    db.session.flush()
    return referral, staff, target


def _page(referral):
    return f"/provider/participants/{referral.case_id}"


def _admit(client, referral, data, htmx=True):
    prefixed = {f"admit-{referral.id}-{k}": v for k, v in data.items()}
    url = f"/provider/service-referrals/{referral.id}/admit"
    return post(client, url, prefixed, page=_page(referral), htmx=htmx)


def _discharge(client, referral, data, htmx=True):
    prefixed = {f"discharge-{referral.id}-{k}": v for k, v in data.items()}
    url = f"/provider/service-referrals/{referral.id}/discharge"
    return post(client, url, prefixed, page=_page(referral), htmx=htmx)


def test_admit_then_discharge_from_the_participant_page(client, login_as, bed):
    referral, staff, target = bed
    login_as(staff)
    roster = text(client.get("/provider/"))
    assert "Awaiting admission" in roster and "Mark all present" not in roster
    page = text(client.get(_page(referral)))
    assert "Admission and discharge" in page and CRITERIA[1] in page
    day = local_today() - dt.timedelta(days=2)
    admitted = _admit(client, referral, {"admitted_on": day.isoformat(), "criteria": ["0", "1"]})
    assert admitted.status_code == 200, text(admitted)
    assert "timeline-changed" in admitted.headers["HX-Trigger"]
    body = text(admitted)
    assert 'id="episodes"' in body and "Admitted" in body and "Discharge" in body
    assert f"{target.name} ({target.organization.name})" in body  # offered as a step-down
    roster = text(client.get("/provider/"))
    assert f'Admitted <time datetime="{day.isoformat()}">{day:%b} {day.day}</time>' in roster
    discharged = _discharge(
        client,
        referral,
        {
            "discharged_on": local_today().isoformat(),
            "outcome": "stepped_down",
            "step_down_service_id": str(target.id),
            "note": "Starts Monday.",
        },
    )
    assert discharged.status_code == 200, text(discharged)
    body = text(discharged)
    assert "Completed, stepped down to a named service" in body
    assert "Waiting for the case manager" in body
    episode = db.session.scalar(select(Episode))
    assert episode.step_down_state == StepDownState.PROPOSED
    assert db.session.get(ServiceReferral, referral.id).status == ReferralStatus.COMPLETED
    timeline = text(client.get(f"{_page(referral)}/timeline", headers={"HX-Request": "true"}))
    assert "Discharged" in timeline and "Admitted" in timeline


def test_an_unconfirmed_criterion_is_refused_beside_the_checklist(client, login_as, bed):
    referral, staff, _ = bed
    login_as(staff)
    refused = _admit(
        client, referral, {"admitted_on": local_today().isoformat(), "criteria": ["0"]}
    )
    assert refused.status_code == 422
    body = text(refused)
    assert 'id="episodes"' in body and "usa-error-message" in body
    assert f"Not confirmed: {CRITERIA[1]}" in body and "not eligible" in body
    assert _count(Episode) == 0
    assert _count(TimelineEntry, TimelineEntry.kind == TimelineKind.EPISODE_ADMITTED) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        ({"admitted_on": ""}, "Enter the date of admission."),
        ({"admitted_on": "31/12/2025"}, "Enter a real date"),
        ({"admitted_on": "2999-01-01"}, "cannot be in the future"),
        ({"admitted_on": "2001-01-01"}, "the admission cannot be earlier"),
    ],
)
def test_a_bad_admission_date_is_refused_with_422(client, login_as, bed, data, message):
    referral, staff, _ = bed
    login_as(staff)
    refused = _admit(client, referral, {**data, "criteria": ["0", "1"]})
    assert refused.status_code == 422
    assert message in text(refused)
    assert _count(Episode) == 0


def test_discharge_refusals_are_beside_their_field_and_save_nothing(client, login_as, bed, f):
    referral, staff, target = bed
    episode = episodes.admit(referral, local_today() - dt.timedelta(days=3), {0, 1}, staff)
    closed = f.ServiceFactory(name="Old programme")
    closed.organization.active = False
    db.session.flush()
    login_as(staff)
    before = (local_today() - dt.timedelta(days=4)).isoformat()
    cases = [
        ({"discharged_on": before, "outcome": "completed"}, "before the admission"),
        ({"discharged_on": local_today().isoformat()}, "Choose the outcome"),
        ({"discharged_on": local_today().isoformat(), "outcome": "other"}, "note is needed"),
        (
            {"discharged_on": local_today().isoformat(), "outcome": "stepped_down"},
            "Choose the service the participant steps down to",
        ),
        (
            {
                "discharged_on": local_today().isoformat(),
                "outcome": "stepped_down",
                "step_down_service_id": str(closed.id),
            },
            "provider is inactive",
        ),
    ]
    for data, message in cases:
        refused = _discharge(client, referral, data)
        assert refused.status_code == 422, data
        assert message in text(refused), data
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).discharged_on is None
    assert db.session.get(ServiceReferral, referral.id).status == ReferralStatus.ACCEPTED
    assert _count(TimelineEntry, TimelineEntry.kind == TimelineKind.EPISODE_DISCHARGED) == 0


def test_without_javascript_the_page_comes_back_or_redirects(client, login_as, bed):
    referral, staff, _ = bed
    login_as(staff)
    refused = _admit(client, referral, {"admitted_on": ""}, htmx=False)
    assert refused.status_code == 422 and "<h1>" in text(refused)
    done = _admit(
        client,
        referral,
        {"admitted_on": local_today().isoformat(), "criteria": ["0", "1"]},
        htmx=False,
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("#episodes")
    again = _admit(
        client, referral, {"admitted_on": local_today().isoformat(), "criteria": ["0", "1"]}
    )
    assert again.status_code == 422 and "Already admitted" in text(again)
    assert _count(Episode) == 1


def test_another_organisation_gets_404(client, login_as, bed, f):
    referral, staff, _ = bed
    login_as(f.provider())
    url = f"/provider/service-referrals/{referral.id}/admit"
    assert post(client, url, {}, page="/provider/").status_code == 404
    url = f"/provider/service-referrals/{referral.id}/discharge"
    assert post(client, url, {}, page="/provider/").status_code == 404
    assert client.get(_page(referral)).status_code == 404
    assert _count(Episode) == 0


def test_no_admission_on_a_scheduled_referral_nor_discharge_before_admission(
    client, login_as, bed, f
):
    referral, staff, _ = bed
    group = f.ServiceFactory(organization=referral.service.organization)
    scheduled = f.ServiceReferralFactory(
        service=group, created_by=f.admin(), accepted=True, decided_by=staff
    )
    db.session.flush()
    login_as(staff)
    url = f"/provider/service-referrals/{scheduled.id}/admit"
    assert post(client, url, {}, page="/provider/").status_code == 404
    # Not admitted yet: nothing to discharge.
    url = f"/provider/service-referrals/{referral.id}/discharge"
    assert post(client, url, {}, page="/provider/").status_code == 404
    assert _count(Episode) == 0


def test_the_officer_sees_no_episode_on_the_referral_page_or_inbox(client, login_as, f):
    consent = f.ConsentFactory(discloses_attendance=True, discloses_outcome=True)
    case = consent.case
    service = f.episode_service(name="Detoxification")
    staff = f.provider(organization=service.organization)
    referral = f.ServiceReferralFactory(
        case=case, service=service, created_by=f.admin(), accepted=True, decided_by=staff
    )
    target = f.ServiceFactory(name="Intensive Outpatient Treatment")
    episode = episodes.admit(referral, local_today(), set(), staff)
    episodes.discharge(
        episode, episodes.Discharge(local_today(), "stepped_down", target.id, ""), staff
    )
    db.session.flush()
    case = db.session.scalar(
        select(Case).where(Case.id == case.id).options(selectinload(Case.consents))
    )
    login_as(case.officer)
    page = text(client.get(f"/officer/referrals/{case.id}"))
    inbox = text(client.get("/officer/inbox"))
    for body in (page, inbox):
        for word in ("Admitted", "Discharged", "Detoxification", "Intensive Outpatient"):
            assert word not in body
