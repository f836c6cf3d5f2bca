"""CJIS: five failed sign-ins in a row lock the account for ten minutes."""

from __future__ import annotations

import datetime as dt

import time_machine

from portal.extensions import db
from portal.models import User
from tests.conftest import CSRF_RE
from tests.factories import PASSWORD
from tests.web.auth.test_login import _sign_in

START = dt.datetime(2030, 3, 4, 15, 0, tzinfo=dt.UTC)


def _fail(client, user, times: int) -> None:
    for _ in range(times):
        response = _sign_in(client, user.email, "not the password")
        assert response.status_code == 422
        assert "locked for 10 minutes" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_for_ten_minutes(client, f):
    user = f.officer()
    db.session.commit()
    with time_machine.travel(START, tick=False) as clock:
        _fail(client, user, 5)
        assert db.session.get(User, user.id).locked_until == START + dt.timedelta(minutes=10)
        # Even the right password is refused while the account is locked.
        assert _sign_in(client, user.email, PASSWORD).status_code == 422
        clock.shift(dt.timedelta(minutes=9))
        assert _sign_in(client, user.email, PASSWORD).status_code == 422
        clock.shift(dt.timedelta(minutes=2))
        assert _sign_in(client, user.email, PASSWORD).status_code == 302
    refreshed = db.session.get(User, user.id)
    assert refreshed.failed_logins == 0 and refreshed.locked_until is None


def test_a_success_resets_the_count(client, f):
    user = f.officer()
    db.session.commit()
    with time_machine.travel(START, tick=False):
        _fail(client, user, 4)
        assert _sign_in(client, user.email, PASSWORD).status_code == 302
        assert db.session.get(User, user.id).failed_logins == 0


def _answer(response, email: str) -> str:
    """The page answered, without what differs by request: the CSRF token, the echoed email."""
    return CSRF_RE.sub("", response.get_data(as_text=True)).replace(email, "EMAIL")


def test_unknown_email_locks_nothing_and_says_the_same(client, f):
    """Failures with an address that is no account's (even one close to a real address) count
    against no one, and answer exactly as a wrong password does."""
    user = f.officer(email="pat.doe@example.org")
    db.session.commit()
    with time_machine.travel(START, tick=False):
        wrong_password = _sign_in(client, user.email, "not the password")
        expected = _answer(wrong_password, user.email)
        for near in ("pat.doe@example.org.evil", "xpat.doe@example.org", "pat.doe@example.com"):
            for _ in range(5):
                unknown = _sign_in(client, near, "not the password")
                assert unknown.status_code == wrong_password.status_code == 422
                assert _answer(unknown, near) == expected
        # Only the one wrong password counted: the account is not locked and still signs in.
        stored = db.session.get(User, user.id)
        assert (stored.failed_logins, stored.locked_until) == (1, None)
        assert _sign_in(client, user.email, PASSWORD).status_code == 302
