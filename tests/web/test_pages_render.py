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


def _case(status):
    return db.session.scalar(db.select(Case).where(Case.status == status).limit(1))


@pytest.mark.usefixtures("seeded")
def test_admin_pages(client):
    login(client, _user("admin@lead.example.org"), PW)
    for url in ["/admin/", "/admin/cases", "/admin/cases?status=active&q=a"]:
        assert client.get(url).status_code == 200, url
    for status in CaseStatus:
        case = _case(status)
        if case:
            assert client.get(f"/admin/cases/{case.id}").status_code == 200, status


@pytest.mark.usefixtures("seeded")
def test_officer_and_provider_pages(client):
    login(client, _user("deputy.hall@fcso.example.org"), PW)
    assert client.get("/officer/referrals").status_code == 200
    assert client.get("/officer/referrals/new").status_code == 200
    client.get("/logout")
    client2 = client.application.test_client()
    login(client2, _user("staff@fmrs.example.org"), PW)
    assert client2.get("/provider/").status_code == 200
