"""The lockout holds under parallel attempts: every failure counts, however many arrive at once,
and no more than five passwords are ever tried against the account before it locks."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import User
from portal.services import accounts
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.integrity.concurrent import Answer, post_together


def _browsers(app, n: int) -> list[tuple[FlaskClient, str]]:
    """n separate browsers on the sign-in page, each with its own CSRF token."""
    browsers = []
    for _ in range(n):
        browser = FlaskClient(app, app.response_class, use_cookies=True)
        with app.app_context():  # its own `g`, where the CSRF token is kept
            browsers.append((browser, csrf_token(browser, "/login")))
    return browsers


def _attempts(app, email: str, passwords: list[str]) -> list[Answer | str]:
    browsers = _browsers(app, len(passwords))
    posts = [
        (browser, "/login", {"email": email, "password": password, "csrf_token": token}, {})
        for (browser, token), password in zip(browsers, passwords, strict=True)
    ]
    return post_together(app, posts)


def _checked(monkeypatch) -> list[bool]:
    """Records each check of a typed password against the account's real hash."""
    checks: list[bool] = []
    real = accounts.verify_password

    def counting(password_hash, password):
        if password_hash is not None:
            checks.append(True)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return checks


def test_ten_simultaneous_wrong_passwords_all_count_and_lock(app, f, monkeypatch):
    user = f.officer()
    db.session.commit()
    checks = _checked(monkeypatch)
    answers = _attempts(app, user.email, ["not the password"] * 10)
    assert all(isinstance(a, Answer) and a.status == 422 for a in answers), answers
    stored = db.session.get(User, user.id)
    assert stored.failed_logins == 10
    assert stored.locked_until is not None
    # Only the first five reached the password; the rest were refused by the lock first.
    assert len(checks) == accounts.MAX_FAILED_LOGINS
    # Locked: the right password is refused too, even several at once.
    answers = _attempts(app, user.email, [PASSWORD] * 3)
    assert all(isinstance(a, Answer) and a.status == 422 for a in answers), answers
    assert len(checks) == accounts.MAX_FAILED_LOGINS


def test_a_burst_of_wrong_passwords_locks_out_the_right_one_after_it(app, f, monkeypatch):
    """Seven wrong passwords at once, then the right one: the account is locked, so it is
    refused, and only five of the burst were tried against the password."""
    user = f.officer()
    db.session.commit()
    checks = _checked(monkeypatch)
    answers = _attempts(app, user.email, ["not the password"] * 7)
    assert all(isinstance(a, Answer) and a.status == 422 for a in answers), answers
    (answer,) = _attempts(app, user.email, [PASSWORD])
    assert isinstance(answer, Answer) and answer.status == 422, answer
    stored = db.session.get(User, user.id)
    assert stored.failed_logins == 8 and stored.locked_until is not None
    assert stored.last_login_at is None
    assert len(checks) == accounts.MAX_FAILED_LOGINS
