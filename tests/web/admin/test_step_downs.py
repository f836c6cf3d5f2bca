"""The case manager's side of an episode: the case page shows the admission, discharge and
outcome, and a proposed step-down with Confirm (the referral is made) or Decline (a reason);
refusals come back beside the field with 422; the queue lists the step-downs waiting; the
directory form edits an episode's admission criteria."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.clock import local_today
from portal.extensions import db
from portal.models import Episode, ReferralStatus, Service, ServiceReferral, StepDownState
from portal.services import episodes
from tests.conftest import post
from tests.web.admin.helpers import service_data, text


@pytest.fixture
def discharged(f, login_as):
    office = f.case_manager(name="Casey Manager")
    service = f.episode_service(name="Detoxification")
    staff = f.provider(organization=service.organization)
    referral = f.ServiceReferralFactory(
        service=service, created_by=office, accepted=True, decided_by=staff
    )
    target = f.ServiceFactory(
        name="Intensive Outpatient Treatment", capacity_max=2, capacity_available=2
    )
    episode = episodes.admit(referral, local_today() - dt.timedelta(days=6), set(), staff)
    episodes.discharge(
        episode,
        episodes.Discharge(local_today(), "stepped_down", target.id, "Starts Monday."),
        staff,
    )
    db.session.flush()
    login_as(office)
    return episode, referral, target, f"/admin/cases/{referral.case_id}"


def test_the_case_page_shows_the_episode_and_confirm_makes_the_referral(client, discharged):
    episode, referral, target, url = discharged
    page = text(client.get(url))
    assert "Admitted" in page and "completed, stepped down to a named service" in page
    assert "Step-down to Intensive Outpatient Treatment" in page
    assert "Confirm step-down" in page and "Decline step-down" in page
    response = post(client, f"{url}/episodes/{episode.id}/step-down/confirm", page=url, htmx=True)
    assert response.status_code == 200, text(response)
    body = text(response)
    assert "Step-down confirmed" in body and 'id="service_referrals"' in body
    assert "timeline-changed" in response.headers["HX-Trigger"]
    db.session.expire_all()
    episode = db.session.get(Episode, episode.id)
    assert episode.step_down_state == StepDownState.CONFIRMED
    made = db.session.get(ServiceReferral, episode.step_down_referral_id)
    assert made.service_id == target.id and made.status == ReferralStatus.PENDING
    assert db.session.get(Service, target.id).capacity_available == 1
    again = post(client, f"{url}/episodes/{episode.id}/step-down/confirm", page=url, htmx=True)
    assert again.status_code == 422 and "no step-down waiting" in text(again)


def test_a_full_step_down_service_is_refused_and_nothing_is_made(client, discharged):
    episode, referral, target, url = discharged
    target.capacity_available = 0
    db.session.flush()
    response = post(client, f"{url}/episodes/{episode.id}/step-down/confirm", page=url, htmx=True)
    assert response.status_code == 422
    assert "has no place available now" in text(response)
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).step_down_state == StepDownState.PROPOSED
    assert not db.session.scalar(
        select(func.count())
        .select_from(ServiceReferral)
        .where(ServiceReferral.service_id == target.id)
    )


def test_declining_needs_a_reason_beside_the_field(client, discharged):
    episode, referral, target, url = discharged
    decline = f"{url}/episodes/{episode.id}/step-down/decline"
    field = f"step-down-{episode.id}-reason"
    refused = post(client, decline, {field: ""}, page=url, htmx=True)
    assert refused.status_code == 422
    assert f'id="{field}-error"' in text(refused)
    assert "Give the reason the step-down is declined." in text(refused)
    done = post(client, decline, {field: "Chose a programme nearer home."}, page=url, htmx=True)
    assert done.status_code == 200
    assert "declined by the case manager: chose a programme nearer home." in text(done).lower()
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).step_down_state == StepDownState.DECLINED


def test_another_cases_episode_is_404(client, discharged, f):
    episode, referral, target, url = discharged
    other = f.CaseFactory(active=True)
    response = post(
        client,
        f"/admin/cases/{other.id}/episodes/{episode.id}/step-down/confirm",
        page=f"/admin/cases/{other.id}",
    )
    assert response.status_code == 404


def test_the_queue_lists_the_step_downs_waiting(client, discharged):
    episode, referral, target, url = discharged
    queue = text(client.get("/admin/"))
    assert "Step-downs to confirm" in queue and "1 step-down" in queue
    assert "Intensive Outpatient Treatment" in queue
    assert f"/admin/cases/{referral.case_id}#service_referrals" in queue


def test_the_directory_form_edits_an_episodes_admission_criteria(client, login_as, f):
    org = f.OrganizationFactory()
    login_as(f.admin())
    db.session.flush()
    url = f"/admin/organizations/{org.id}/services/new"
    criteria = "Actively withdrawing\n\nCommits to long-term treatment upon discharge\n"
    refused = post(client, url, service_data(org, admission_criteria=criteria))
    assert refused.status_code == 422
    assert "Only an episode service asks admission criteria" in text(refused)
    data = service_data(
        org, name="Crisis Stabilization", kind="episode", admission_criteria=criteria
    )
    response = post(client, url, data)
    assert response.status_code == 302, text(response)
    service = db.session.scalar(select(Service).where(Service.name == "Crisis Stabilization"))
    assert service.admission_criteria == [
        "Actively withdrawing",
        "Commits to long-term treatment upon discharge",
    ]
    form = text(client.get(f"/admin/services/{service.id}"))
    assert "Actively withdrawing\nCommits to long-term treatment upon discharge" in form
