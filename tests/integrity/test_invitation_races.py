"""One invitation link submitted from two browsers at the same instant sets one password: the
link is claimed by a conditional UPDATE, so the second submit finds it used."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, User
from portal.passwords import verify_password
from tests.conftest import csrf_token
from tests.integrity.concurrent import Answer, post_together, same_session
from tests.invitations import invite, newest_invitation

PASSWORDS = ["lantern quarry beetle ribbon", "copper meadow violin harbor"]


def test_two_submits_of_one_link_at_once_set_one_password(app, client, f):
    user, token = invite(f)
    url = f"/invite/{token}"
    posts = []
    for password in PASSWORDS:
        browser = app.test_client()
        form_token = csrf_token(browser, url)
        (twin,) = same_session(app, browser, 1)
        data = {
            "new_password": password,
            "new_password_confirm": password,
            "csrf_token": form_token,
        }
        posts.append((twin, url, data, {}))
    answers = post_together(app, posts)
    assert all(isinstance(a, Answer) for a in answers), answers
    assert sorted(a.status for a in answers) == [303, 410], answers
    winner = next(i for i, a in enumerate(answers) if a.status == 303)
    user = db.session.get(User, user.id)
    assert user.active
    assert verify_password(user.password_hash, PASSWORDS[winner])
    assert not verify_password(user.password_hash, PASSWORDS[1 - winner])
    assert newest_invitation(user).used_at is not None
    changes = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.PASSWORD_CHANGE, AuditEvent.object_id == user.id
        )
    ).all()
    assert len(changes) == 1
