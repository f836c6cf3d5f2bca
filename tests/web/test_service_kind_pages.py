"""The pages follow the kind of service: matching shows a drop-in as walk-in information with
no Assign, the provider's session page of an episode offers no "mark all present", the roster
offers no acceptance for a drop-in, and the directory form edits the kind."""

from __future__ import annotations

from sqlalchemy import select

from portal.clock import local_today
from portal.extensions import db
from portal.models import (
    Attendance,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceReferral,
)
from tests.conftest import post
from tests.web.admin.helpers import service_data, text


def _drop_in(f, **kw):
    return f.ServiceFactory(
        kind=ServiceKind.DROP_IN,
        capacity_max=None,
        capacity_available=0,
        category=ServiceCategory.HARM_REDUCTION,
        **kw,
    )


def test_matching_shows_a_drop_in_as_walk_in_without_assign(client, login_as, f):
    admin = f.admin()
    case = f.CaseFactory(active=True)
    clinic = _drop_in(f, name="Harm Reduction Clinic")
    db.session.commit()
    login_as(admin)
    page = text(client.get(f"/admin/cases/{case.id}/matching"))
    row = page[page.index(f'id="service-{clinic.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Walk-in, no referral needed" in row and "Assign" not in row
    response = post(
        client,
        f"/admin/cases/{case.id}/matching/{clinic.id}/assign",
        page=f"/admin/cases/{case.id}/matching",
        htmx=True,
    )
    assert response.status_code == 422
    assert "drop-in service" in text(response)
    assert db.session.scalar(select(ServiceReferral.id)) is None


def test_an_episode_session_page_has_no_mark_all_and_refuses_it(client, login_as, f):
    detox = f.ServiceFactory(name="Detoxification", kind=ServiceKind.EPISODE)
    staff = f.provider(organization=detox.organization)
    admin = f.admin()
    f.ServiceReferralFactory(service=detox, created_by=admin, accepted=True, decided_by=staff)
    db.session.commit()
    login_as(staff)
    page = f"/provider/sessions/{detox.id}/{local_today().isoformat()}"
    # No session page: each participant is admitted and discharged on their own page.
    opened = client.get(page)
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/provider/")
    body = text(client.get("/provider/"))
    assert "Mark all present" not in body and "episode service" in body
    response = post(client, f"{page}/all", page="/provider/", htmx=True)
    assert response.status_code == 422
    assert "no group sessions" in text(response)
    assert db.session.scalar(select(Attendance.id)) is None


def test_the_roster_offers_no_acceptance_for_a_drop_in(client, login_as, f):
    service = f.ServiceFactory(name="Old clinic")
    staff = f.provider(organization=service.organization)
    admin = f.admin()
    referral = f.ServiceReferralFactory(service=service, created_by=admin)
    service.kind, service.capacity_max, service.capacity_available = ServiceKind.DROP_IN, None, 0
    db.session.commit()
    login_as(staff)
    body = text(client.get("/provider/"))
    assert "nothing to accept" in body and 'Accept<span class="usa-sr-only">' not in body
    response = post(
        client, f"/provider/service-referrals/{referral.id}/accept", page="/provider/", htmx=True
    )
    assert response.status_code == 422
    db.session.refresh(referral)
    assert referral.status.value == "pending"


def test_the_directory_form_edits_the_kind(client, login_as, f):
    org = f.OrganizationFactory()
    login_as(f.admin())
    db.session.commit()
    url = f"/admin/organizations/{org.id}/services/new"
    refused = post(client, url, service_data(org, kind=""))
    assert refused.status_code == 422
    assert "Choose the kind of service" in text(refused)
    response = post(client, url, service_data(org, kind="drop_in", capacity_max=""))
    assert response.status_code == 302, text(response)
    clinic = db.session.scalar(select(Service))
    assert clinic.kind == ServiceKind.DROP_IN and clinic.capacity_max is None
    listing = text(client.get(f"/admin/organizations/{org.id}"))
    assert "Walk-in, no places" in listing and "Drop-in" in listing


def test_maximum_places_is_not_marked_optional(client, login_as, f):
    org = f.OrganizationFactory()
    login_as(f.admin())
    page = text(client.get(f"/admin/organizations/{org.id}/services/new"))
    label = page[page.index('for="capacity_max"') :]
    assert "(optional)" not in label[: label.index("</label>")]
