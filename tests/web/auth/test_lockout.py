"""CJIS: five failed sign-ins in a row lock the account for ten minutes."""

from __future__ import annotations

import datetime as dt

import time_machine

from portal.extensions import db
from portal.models import User
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


def test_unknown_email_locks_nothing_and_says_the_same(client, f):
    user = f.officer()
    db.session.commit()
    response = _sign_in(client, "nobody@example.org", "whatever-it-is")
    assert response.status_code == 422
    assert "The email or password is not correct." in response.get_data(as_text=True)
    assert db.session.get(User, user.id).failed_logins == 0
