"""A password an administrator set is changed at the first sign-in: until then every page leads to
the change page (static files and signing out excepted)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from tests.conftest import csrf_token, login, post
from tests.factories import PASSWORD
from tests.web.admin.test_manage import NEW_PASSWORD, user_data

URL = "/account/password"
CHOSEN = "plinth marmalade orbit tuesday"


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_a_user_an_administrator_creates_must_change_the_password(client, login_as, f):
    login_as(f.admin())
    agency = f.AgencyFactory()
    db.session.commit()
    response = post(client, "/admin/users/new", user_data(agency_id=str(agency.id)))
    assert response.status_code == 302
    assert _user("olive@fcso.example.org").must_change_password


def test_a_reset_by_an_administrator_marks_the_user(client, login_as, f):
    login_as(f.admin())
    officer = f.officer()
    db.session.commit()
    data = user_data(email=officer.email, agency_id=str(officer.agency_id), active="y")
    assert post(client, f"/admin/users/{officer.id}", data).status_code == 302
    assert _user(officer.email).must_change_password


def test_an_edit_without_a_new_password_does_not_mark_the_user(client, login_as, f):
    login_as(f.admin())
    officer = f.officer()
    db.session.commit()
    data = user_data(
        email=officer.email,
        agency_id=str(officer.agency_id),
        active="y",
        password="",
        password_confirm="",
    )
    assert post(client, f"/admin/users/{officer.id}", data).status_code == 302
    assert not _user(officer.email).must_change_password


def test_an_administrator_setting_their_own_password_is_not_marked(client, login_as, f):
    admin = f.admin(name="Ada Admin")
    login_as(admin)
    data = user_data(
        name="Ada Admin",
        email=admin.email,
        role="staff",
        staff_roles=["case_manager", "program_admin"],
        badge_number="",
    )
    assert post(client, f"/admin/users/{admin.id}", {**data, "active": "y"}).status_code == 302
    assert not _user(admin.email).must_change_password


def test_create_admin_at_the_terminal_is_not_marked(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Pat Boss"],
        input=f"{CHOSEN}\n{CHOSEN}\n",
    )
    assert result.exit_code == 0, result.output
    assert not _user("boss@example.org").must_change_password


def test_demo_users_sign_in_directly(client):
    from portal.demo.program import DEMO_PASSWORD, seed

    seed()
    db.session.commit()
    users = db.session.scalars(select(User)).all()
    assert users and not any(u.must_change_password for u in users)
    officer = next(u for u in users if u.email.startswith("officer"))
    login(client, officer, DEMO_PASSWORD)
    assert client.get("/officer/referrals").status_code == 200


@pytest.fixture
def marked(f, client):
    """A signed-in officer whose password an administrator set."""
    user = f.officer(must_change_password=True)
    db.session.commit()
    login(client, user)
    return user


@pytest.mark.parametrize("url", ["/", "/officer/referrals", "/officer/referrals/new", "/nowhere"])
def test_every_page_leads_to_the_change_page(client, marked, url):
    response = client.get(url)
    assert response.status_code == 303
    assert response.headers["Location"] == URL


def test_the_change_page_says_why(client, marked):
    html = client.get(URL).get_data(as_text=True)
    assert "An administrator set the password you signed in with." in html


def test_htmx_and_form_posts_are_redirected_whole(client, marked):
    response = client.get("/officer/referrals", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Redirect"] == URL
    token = csrf_token(client, URL)
    response = client.post("/officer/referrals/new", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == URL


def test_static_files_and_signing_out_stay_open(client, marked):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    response.close()
    token = csrf_token(client, URL)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changing_the_password_releases_the_user(client, marked):
    response = post(
        client,
        URL,
        {
            "current_password": PASSWORD,
            "new_password": CHOSEN,
            "new_password_confirm": CHOSEN,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/officer/referrals"
    assert not _user(marked.email).must_change_password
    assert client.get("/officer/referrals").status_code == 200


def test_the_mark_holds_until_changed_across_sign_ins(client, f):
    user = f.officer(must_change_password=True)
    db.session.commit()
    login(client, user)
    post(client, "/logout", page=URL)
    login(client, user)
    assert client.get("/officer/referrals").status_code == 303


def test_an_admin_set_password_is_changed_before_anything_else(client, login_as, f, app):
    """The whole story: created by an administrator, signed in, sent to change, released."""
    login_as(f.admin())
    agency = f.AgencyFactory()
    db.session.commit()
    assert post(client, "/admin/users/new", user_data(agency_id=str(agency.id))).status_code == 302
    theirs = app.test_client()
    login(theirs, _user("olive@fcso.example.org"), NEW_PASSWORD)
    assert theirs.get("/officer/referrals").headers["Location"] == URL
    data = {
        "current_password": NEW_PASSWORD,
        "new_password": CHOSEN,
        "new_password_confirm": CHOSEN,
    }
    assert post(theirs, URL, data).status_code == 302
    assert theirs.get("/officer/referrals").status_code == 200
