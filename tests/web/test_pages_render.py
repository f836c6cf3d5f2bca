"""Every main page renders for its role on demo data (a broad net under the focused tests)."""

import pytest

from portal.demo.program import DEMO_PASSWORD, seed
from portal.extensions import db
from portal.models import Case, CaseStatus, User
from tests.conftest import login

PW = DEMO_PASSWORD


@pytest.fixture
def seeded():
    seed()
    db.session.commit()


def _user(email):
    return db.session.scalar(db.select(User).where(User.email == email))


def _case_in_every_status(f) -> dict[CaseStatus, Case]:
    """One case per status, built through the steps to it; the active one has an assessment,
    a service it attends and one it was declined by."""
    built = {CaseStatus.REFERRED: f.CaseFactory()}
    for status in CaseStatus:
        if status != CaseStatus.REFERRED:
            built[status] = f.CaseFactory(**{status.value: True})
    active = built[CaseStatus.ACTIVE]
    f.AssessmentFactory(case=active)
    f.AttendanceFactory(service_referral=f.ServiceReferralFactory(case=active, accepted=True))
    f.ServiceReferralFactory(case=active, declined=True)
    return built


@pytest.mark.usefixtures("seeded")
def test_admin_pages(client, f):
    built = _case_in_every_status(f)
    db.session.commit()
    login(client, _user("admin@lead.example.org"), PW)
    for url in ["/admin/", "/admin/cases", "/admin/cases?status=active&q=a"]:
        assert client.get(url).status_code == 200, url
    assert set(built) == set(CaseStatus)
    for status, case in built.items():
        response = client.get(f"/admin/cases/{case.id}")
        assert response.status_code == 200, status
        html = response.get_data(as_text=True)
        assert case.person.full_name in html and status.label in html, status


@pytest.mark.usefixtures("seeded")
def test_officer_and_provider_pages(client):
    login(client, _user("deputy.hall@fcso.example.org"), PW)
    assert client.get("/officer/referrals").status_code == 200
    assert client.get("/officer/referrals/new").status_code == 200
    client.get("/logout")
    client2 = client.application.test_client()
    login(client2, _user("staff@fmrs.example.org"), PW)
    assert client2.get("/provider/").status_code == 200
