"""Helpers for two-step sign-in tests: a frozen clock, codes computed as the user's app would."""

from __future__ import annotations

import datetime as dt
import re

import pyotp

from portal.extensions import db
from portal.services import mfa
from tests.conftest import csrf_token

# Mid-way through a 30-second time step, so a step either side is a whole step away.
NOW = dt.datetime(2026, 3, 2, 15, 0, 10, tzinfo=dt.UTC)
SECRET_RE = re.compile(r'id="mfa-secret">([A-Z2-7 ]+)</code>')
CODE_RE = re.compile(r"<li><code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code></li>")


def code(secret: str, at: dt.datetime = NOW, steps: int = 0) -> str:
    """The code the app shows at `at`, `steps` time steps later."""
    return pyotp.TOTP(secret).at(at + dt.timedelta(seconds=30 * steps))


def enrol(user, at: dt.datetime = NOW) -> tuple[str, list[str]]:
    """Give `user` an authenticator (confirmed with the code of the step before `at`): its secret
    and recovery codes."""
    secret = mfa.new_secret()
    codes = mfa.confirm_enrolment(user, secret, code(secret, at, steps=-1))
    assert codes is not None
    db.session.commit()
    return secret, codes


def password_step(client, user, password: str):
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )


def send_code(client, value: str, url: str = "/login/code", **kw):
    token = csrf_token(client, url)
    return client.post(url, data={"code": value, "csrf_token": token}, **kw)
