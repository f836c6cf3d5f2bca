"""A TOTP or recovery code sent by two browsers at the same instant signs in only one of them;
wrong codes sent together all count."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, MfaCredential
from tests.conftest import IsolatedClient, csrf_token
from tests.factories import PASSWORD
from tests.integrity.concurrent import Answer, post_together, same_session
from tests.mfa import NOW, code, enrol, password_step


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _half_signed_in(app, user, n: int):
    """n browsers that each passed the password step: (plain client, its CSRF token).

    Each request in its own app context (the `client` fixture's class), as in production.
    """
    browsers = []
    for _ in range(n):
        browser = app.test_client()
        assert isinstance(browser, IsolatedClient)
        assert password_step(browser, user, PASSWORD).headers["Location"] == "/login/code"
        token = csrf_token(browser, "/login/code")
        browsers.append((same_session(app, browser, 1)[0], token))
    return browsers


def _signed_in(answers) -> int:
    assert all(isinstance(a, Answer) for a in answers), answers
    return sum(a.status == 302 and a.location == "/officer/referrals" for a in answers)


def test_one_code_sent_by_two_browsers_at_once_signs_in_one(app, client, f):
    user = f.officer()
    secret, _ = enrol(user)
    value = code(secret)
    posts = [
        (browser, "/login/code", {"code": value, "csrf_token": token}, {})
        for browser, token in _half_signed_in(app, user, 2)
    ]
    answers = post_together(app, posts)
    assert _signed_in(answers) == 1, answers
    assert sorted(a.status for a in answers) == [302, 422]
    verified = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.MFA_VERIFIED)
    ).all()
    assert len(verified) == 1


def test_one_recovery_code_sent_twice_at_once_works_once(app, client, f):
    user = f.officer()
    _, codes = enrol(user)
    browser, token = _half_signed_in(app, user, 1)[0]
    twins = same_session(app, browser, 2)
    posts = [(twin, "/login/code", {"code": codes[0], "csrf_token": token}, {}) for twin in twins]
    answers = post_together(app, posts)
    assert _signed_in(answers) == 1, answers


def test_wrong_codes_sent_together_all_count(app, client, f):
    user = f.officer()
    secret, _ = enrol(user)
    wrong = "123456" if code(secret) != "123456" else "654321"
    browser, token = _half_signed_in(app, user, 1)[0]
    twins = same_session(app, browser, 4)
    posts = [(twin, "/login/code", {"code": wrong, "csrf_token": token}, {}) for twin in twins]
    answers = post_together(app, posts)
    assert [a.status for a in answers] == [422] * 4, answers
    assert db.session.get(MfaCredential, user.id).failed_codes == 4
