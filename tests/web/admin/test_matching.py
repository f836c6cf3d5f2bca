"""The matching screen: ranked rows, htmx filters, assigning a service from a row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    CaseStatus,
    NeedDomain,
    NeedLevel,
    ReferralStatus,
    ServiceCategory,
    ServiceReferral,
    TimelineEntry,
    TimelineKind,
)
from tests.conftest import login, post

HX = {"HX-Request": "true"}


@pytest.fixture
def screen(f, login_as):
    admin = f.admin()
    case = f.CaseFactory(active=True)
    housing = f.ServiceFactory(
        name="Housing Assistance",
        category=ServiceCategory.HOUSING,
        capacity_max=5,
        capacity_available=2,
    )
    harm = f.ServiceFactory(name="Harm Reduction Clinic", category=ServiceCategory.HARM_REDUCTION)
    f.AssessmentFactory(
        case=case,
        assessed_by=admin,
        needs={NeedDomain.HOUSING: NeedLevel.HIGH, NeedDomain.SUBSTANCE_USE: NeedLevel.LOW},
    )
    client = login_as(admin)
    return client, case, {"housing": housing, "harm": harm}, f"/admin/cases/{case.id}/matching"


def test_full_page_lists_services_ranked(screen):
    client, case, s, url = screen
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert html.index("Housing Assistance") < html.index("Harm Reduction Clinic")
    assert "High housing need" in html
    assert "2 of 5 free" in html


def test_filters_answer_the_results_block_only(screen):
    client, case, s, url = screen
    response = client.get(f"{url}?category=harm_reduction", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True).strip()
    assert html.startswith('<div id="match-results">')
    assert "<html" not in html
    assert "Harm Reduction Clinic" in html and "Housing Assistance" not in html
    by_org = client.get(f"{url}?organization={s['housing'].organization_id}", headers=HX)
    assert "Housing Assistance" in by_org.get_data(as_text=True)
    assert "Harm Reduction" not in by_org.get_data(as_text=True)
    # Unknown filter values are ignored rather than failing.
    assert client.get(f"{url}?category=nope&organization=x", headers=HX).status_code == 200


def test_only_with_capacity_filter(screen):
    client, case, s, url = screen
    s["housing"].capacity_available = 0
    html = client.get(f"{url}?capacity=1", headers=HX).get_data(as_text=True)
    assert "Housing Assistance" not in html and "Harm Reduction Clinic" in html


def test_assign_creates_a_pending_referral_and_lowers_capacity(screen):
    client, case, s, url = screen
    response = post(client, f"{url}/{s['housing'].id}/assign", page=url, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True).strip()
    assert html.startswith(f'<tr id="service-{s["housing"].id}"')
    assert "1 of 5 free" in html
    assert "Assigned" in html and "Pending" in html
    assert "timeline-changed" in response.headers["HX-Trigger"]
    referral = db.session.scalar(select(ServiceReferral))
    assert (referral.case_id, referral.status) == (case.id, ReferralStatus.PENDING)
    assert s["housing"].capacity_available == 1
    kinds = db.session.scalars(select(TimelineEntry.kind)).all()
    assert TimelineKind.SERVICE_REFERRED in kinds


def test_why_this_service_goes_with_the_referral_for_the_provider(screen):
    client, case, s, url = screen
    page = client.get(url).get_data(as_text=True)
    assert f'id="why-{s["housing"].id}" name="note"' in page
    why = "  Sleeping in a car; wants a place before winter.  "
    response = post(client, f"{url}/{s['housing'].id}/assign", {"note": why}, page=url, htmx=True)
    assert response.status_code == 200
    referral = db.session.scalar(select(ServiceReferral))
    assert referral.note == "Sleeping in a car; wants a place before winter."


def test_a_reason_too_long_is_refused_and_nothing_assigned(screen):
    client, case, s, url = screen
    long = {"note": "x" * 501}
    response = post(client, f"{url}/{s['housing'].id}/assign", long, page=url, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Say why in at most 500 characters. Nothing was assigned." in html
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 0
    db.session.refresh(s["housing"])
    assert s["housing"].capacity_available == 2


def test_no_capacity_refused_with_422_and_nothing_saved(screen):
    client, case, s, url = screen
    s["housing"].capacity_available = 0
    before = db.session.scalar(select(func.count()).select_from(TimelineEntry))
    response = post(client, f"{url}/{s['housing'].id}/assign", page=url, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "no place available" in html and "Nothing was assigned." in html
    assert 'role="alert"' in html
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 0
    assert db.session.scalar(select(func.count()).select_from(TimelineEntry)) == before
    assert s["housing"].capacity_available == 0


def test_an_inactive_provider_refused_with_422_and_nothing_saved(screen):
    client, case, s, url = screen
    s["housing"].organization.active = False
    db.session.commit()
    response = post(client, f"{url}/{s['housing'].id}/assign", page=url, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "not taking referrals" in html and "Nothing was assigned." in html
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 0
    db.session.refresh(s["housing"])
    assert s["housing"].capacity_available == 2


def test_assign_without_htmx_redirects_back(screen):
    client, case, s, url = screen
    response = post(client, f"{url}/{s['harm'].id}/assign", page=url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)


def test_unknown_service_or_case_is_404(screen):
    client, case, s, url = screen
    assert post(client, f"{url}/999999/assign", page=url).status_code == 404
    assert client.get("/admin/cases/999999/matching").status_code == 404


def test_closed_case_shows_the_list_without_assign(screen, f):
    client, case, s, url = screen
    case.status = CaseStatus.COMPLETED
    html = client.get(url).get_data(as_text=True)
    assert "services can be assigned only to an active participant" in html
    assert "/assign" not in html


def test_other_roles_cannot_reach_matching(screen, f, client):
    _, case, s, url = screen
    officer, staff = f.officer(), f.provider(organization=s["housing"].organization)
    for user, home in ((officer, "/officer/referrals"), (staff, "/provider/")):
        other = client.application.test_client()
        db.session.commit()
        login(other, user)
        assert other.get(url).status_code == 403
        assert post(other, f"{url}/{s['harm'].id}/assign", page=home).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ServiceReferral)) == 0


def test_history_restore_gets_the_whole_page(screen):
    """Back/forward to a pushed filter URL: htmx asks for the page, not the fragment."""
    client, case, s, url = screen
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = client.get(f"{url}?category=housing", headers=headers).get_data(as_text=True)
    assert "<html" in html and "Housing Assistance" in html
