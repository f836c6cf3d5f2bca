"""Sign-in rate limits: per client address and per account, at the password step and the code
step, answered with the portal's page.

Each test builds an app of its own with the limits on (the suite's app has them off, so other
tests may sign in as often as they like); its rows are real commits.
"""

from __future__ import annotations

import logging

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from portal import create_app
from portal.auth import limits
from portal.clock import local_today
from portal.extensions import db
from portal.models import AuditAction, AuditEvent, AuditOutcome
from tests.conftest import CSRF_RE
from tests.factories import PASSWORD
from tests.mfa import NOW, code, enrol

pytestmark = pytest.mark.real_commits

LIMITED = "Too many sign-in attempts"


@pytest.fixture
def limited(app) -> Flask:
    limited = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    yield limited
    with limited.app_context():
        db.engine.dispose()


def _attempt(app: Flask, email: str, address: str = "192.0.2.1", htmx: bool = False):
    """One sign-in attempt from a fresh browser at `address`, with a valid CSRF token."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    with app.app_context():
        page = client.get("/login", environ_base=environ).get_data(as_text=True)
    match = CSRF_RE.search(page)
    token = match.group(1) or match.group(2)
    headers = {"HX-Request": "true"} if htmx else {}
    with app.app_context():
        return client.post(
            "/login",
            data={"email": email, "password": "not the password", "csrf_token": token},
            environ_base=environ,
            headers=headers,
        )


def _refusals() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.SIGN_IN_FAILED,
                AuditEvent.outcome == AuditOutcome.REFUSED,
            )
        )
    )


def test_ten_attempts_a_minute_from_one_address(limited, caplog):
    with caplog.at_level(logging.DEBUG):
        for n in range(10):
            assert _attempt(limited, f"person{n}@example.org").status_code == 422
        refused = _attempt(limited, "someone.else@example.org")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Too many attempts" in html and LIMITED in html  # the portal's own page
    assert 'id="login-form"' not in html
    assert 0 < int(refused.headers["Retry-After"]) <= 60  # when the oldest attempt expires
    # Another address is not held back by this one.
    assert _attempt(limited, "someone.else@example.org", address="192.0.2.2").status_code == 422
    # Audited as a refused sign-in: the address, never the e-mail typed.
    rows = _refusals()
    assert len(rows) == 12
    limited_row = [r for r in rows if r.object_id is None and r.ip_address == "192.0.2.1"]
    assert len(limited_row) == 11
    assert "someone.else" not in caplog.text and "person1@" not in caplog.text


def test_five_attempts_a_minute_for_one_account_from_anywhere(limited, caplog):
    with caplog.at_level(logging.DEBUG):
        for n in range(5):
            answer = _attempt(limited, "Pat.Doe@example.org", address=f"198.51.100.{n}")
            assert answer.status_code == 422
        # The same account, in other capitals, from yet another address.
        refused = _attempt(limited, " pat.doe@EXAMPLE.org ", address="198.51.100.9")
    assert refused.status_code == 429
    assert LIMITED in refused.get_data(as_text=True)
    assert _attempt(limited, "lee.roe@example.org", address="198.51.100.9").status_code == 422
    assert "pat.doe" not in caplog.text.lower()


def test_htmx_gets_the_message_with_the_429(limited):
    for _ in range(limits.PER_ACCOUNT_COUNT):
        _attempt(limited, "pat.doe@example.org", htmx=True)
    refused = _attempt(limited, "pat.doe@example.org", htmx=True)
    assert refused.status_code == 429
    assert LIMITED in refused.get_data(as_text=True)


def test_the_sign_in_page_itself_is_not_limited(limited):
    client = limited.test_client()
    for _ in range(15):
        with limited.app_context():
            assert client.get("/login").status_code == 200


def test_an_app_with_the_limits_off_stays_off_beside_one_with_them_on(limited, app):
    """The limiter is one object per process: the suite's app (limits off) is not limited
    because another app turned them on."""
    assert app.config["RATELIMIT_ENABLED"] is False
    for _ in range(limits.PER_ACCOUNT_COUNT + 2):
        assert _attempt(app, "pat.doe@example.org").status_code == 422
    assert _attempt(limited, "pat.doe@example.org").status_code == 422


# --- the code step (the second factor) has the same limits --------------------------------


def _post_form(app: Flask, client, url: str, data: dict):
    """Read the form's page, then post it: each request in an app context of its own (as a
    real server has), so every database session ends with its request."""
    with app.app_context():
        match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    with app.app_context():
        return client.post(url, data={**data, "csrf_token": match.group(1) or match.group(2)})


def _half_signed_in(app: Flask, user, address: str):
    """A browser at `address` past the password step of `user` (who has an authenticator)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    answer = _post_form(app, client, "/login", {"email": user.email, "password": PASSWORD})
    assert answer.headers["Location"].endswith("/login/code")
    return client


def _code_attempt(app: Flask, client, value: str = ""):
    """One code posted (by default none: refused by the form, never counted as a wrong code, so
    only the rate limit can answer 429)."""
    return _post_form(app, client, "/login/code", {"code": value})


@pytest.fixture
def two_step_users(f) -> list[tuple]:
    """Three officers with an authenticator each: (user, secret)."""
    with time_machine.travel(NOW, tick=False):
        users = [f.officer() for _ in range(3)]
        db.session.commit()
        return [(user, enrol(user)[0]) for user in users]


def test_five_codes_a_minute_for_one_account_from_anywhere(limited, two_step_users):
    (user, secret), (other_user, _) = two_step_users[:2]
    with time_machine.travel(NOW, tick=False):
        first = _half_signed_in(limited, user, "198.51.100.1")
        for _ in range(3):
            assert _code_attempt(limited, first).status_code == 422
        # The same account half signed in again, from another address: the count goes on.
        second = _half_signed_in(limited, user, "198.51.100.2")
        for _ in range(2):
            assert _code_attempt(limited, second).status_code == 422
        refused = _code_attempt(limited, second, code(secret))
        assert refused.status_code == 429
        assert LIMITED in refused.get_data(as_text=True)
        # The right code was not looked at: the user is still half signed in.
        with limited.app_context():
            assert second.get("/officer/referrals").status_code == 302
        other = _half_signed_in(limited, other_user, "198.51.100.2")
        assert _code_attempt(limited, other).status_code == 422


def test_ten_codes_a_minute_from_one_address(limited, two_step_users):
    first, second, third = (user for user, _secret in two_step_users)
    with time_machine.travel(NOW, tick=False):
        clients = [_half_signed_in(limited, u, "192.0.2.7") for u in (first, second, third)]
        for client, count in zip(clients, (4, 4, 2), strict=True):
            for _ in range(count):
                assert _code_attempt(limited, client).status_code == 422
        # The third account has had two: the address's limit refuses it.
        assert _code_attempt(limited, clients[2]).status_code == 429
        elsewhere = _half_signed_in(limited, third, "192.0.2.8")
        assert _code_attempt(limited, elsewhere).status_code == 422


def test_re_authentication_has_the_same_limits(limited, f):
    user = f.admin()
    db.session.commit()
    client = limited.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    signed_in = _post_form(limited, client, "/login", {"email": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    for _ in range(limits.PER_ACCOUNT_COUNT):
        # No password: refused by the form, never counted towards the lockout.
        assert _post_form(limited, client, "/account/confirm", {}).status_code == 422
    refused = _post_form(limited, client, "/account/confirm", {"password": PASSWORD})
    assert refused.status_code == 429
    assert LIMITED in refused.get_data(as_text=True)


def test_named_visit_lookups_are_limited_per_member_of_staff(app, f):
    """A named visit is found by name and birth date: the form must not serve to ask, name after
    name, who is in the program."""
    limited = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "VISIT_LOOKUPS_PER_HOUR": 3,
        }
    )
    clinic = f.drop_in_service()
    staff = f.provider(organization=clinic.organization)
    db.session.commit()
    client = limited.test_client()
    assert _post_form(limited, client, "/login", {"email": staff.email, "password": PASSWORD})
    day = local_today().isoformat()
    page = f"/provider/services/{clinic.id}/visits?day={day}"
    named = {"named-first_name": "Nobody", "named-last_name": "Known", "named-dob": "1950-01-01"}

    def look_up():
        with limited.app_context():
            match = CSRF_RE.search(client.get(page).get_data(as_text=True))
        with limited.app_context():
            return client.post(
                f"/provider/services/{clinic.id}/visits/{day}/named",
                data={**named, "csrf_token": match.group(1) or match.group(2)},
            )

    assert [look_up().status_code for _ in range(3)] == [422, 422, 422]  # no such participant
    refused = look_up()
    assert refused.status_code == 429
    with limited.app_context():
        db.engine.dispose()
