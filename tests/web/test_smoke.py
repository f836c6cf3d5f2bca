import uuid

from tests.conftest import post


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_officer_refers_and_admin_screens(client, login_as, f):
    officer = f.officer()
    login_as(officer)
    response = post(
        client,
        "/officer/referrals/new",
        {
            "first_name": "Ann",
            "last_name": "Smith",
            "dob": "1990-01-02",
            "referral_type": "social_contact",
            "submission_key": str(uuid.uuid4()),  # what the rendered form carries
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = client.get("/officer/referrals").get_data(as_text=True)
    assert "Ann Smith" in listing
    client.post("/logout", data={"csrf_token": ""})
