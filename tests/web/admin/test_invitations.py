"""Administrators invite users by e-mail, see who is invited, resend and withdraw links."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.mail_cli import mail_context
from portal.models import (
    AuditAction,
    AuditEvent,
    Invitation,
    OutboxEmail,
    OutboxStatus,
    User,
)
from portal.services import invitations, mail
from portal.services.invitations import hash_token
from tests.conftest import login, post
from tests.invitations import NEW_PASSWORD, invite, newest_invitation, token_of
from tests.web.admin.helpers import count, text

EMAIL = "olive@fcso.example.org"


def invite_data(**overrides):
    data = {
        "name": "Olive Officer",
        "email": EMAIL,
        "role": "officer",
        "agency_id": "",
        "organization_id": "",
        "badge_number": "F-112",
    }
    data.update(overrides)
    return data


def _invited() -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == EMAIL))


def _outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_the_users_page_offers_an_invitation_form_without_a_password(client, acting_admin):
    page = text(client.get("/admin/users"))
    assert 'href="/admin/users/invite"' in page
    form = text(client.get("/admin/users/invite"))
    assert "<h1>Invite a user</h1>" in form
    for name in ("name", "email", "role", "agency_id", "organization_id", "badge_number"):
        assert f'name="{name}"' in form
    assert 'name="password"' not in form and 'name="password_confirm"' not in form


def test_inviting_creates_an_inactive_user_an_invitation_and_its_email(client, acting_admin, f):
    agency = f.AgencyFactory()
    db.session.commit()
    response = post(client, "/admin/users/invite", invite_data(agency_id=str(agency.id)))
    assert response.status_code == 302, text(response)
    assert response.headers["Location"] == "/admin/users"
    user = _invited()
    assert (user.active, user.agency_id, user.badge_number) == (False, agency.id, "F-112")
    invitation = newest_invitation(user)
    assert invitation.created_by_id == acting_admin.id
    assert invitation.used_at is None and invitation.revoked_at is None
    assert invitation.expires_at - invitation.created_at == dt.timedelta(hours=72)
    # Only the hash of the link's token is stored.
    token = token_of(invitation)
    assert invitation.token_hash == hash_token(token)
    assert token not in " ".join(str(v) for v in vars(invitation).values())
    (email,) = _outbox()
    assert (email.user_id, email.invitation_id, email.status) == (
        user.id,
        invitation.id,
        OutboxStatus.PENDING,
    )
    # Audited, by the administrator: the user and the invitation created.
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.CREATE)
    ).all()
    created = {(r.object_type, r.object_id, r.user_id) for r in rows}
    assert ("users", user.id, acting_admin.id) in created
    assert ("invitations", invitation.id, acting_admin.id) in created
    listed = text(client.get("/admin/users"))
    assert "Olive Officer" in listed and "Invited (expires" in listed
    assert "Resend invitation" in listed and "Withdraw invitation" in listed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "   "}, "Enter the person&#39;s name."),
        ({"email": "not-an-address"}, "Enter an email address such as name@example.org."),
        ({"role": "officer", "agency_id": ""}, "Choose the officer&#39;s agency."),
        (
            {"role": "provider", "organization_id": ""},
            "Choose the staff member&#39;s organisation.",
        ),
    ],
)
def test_the_invitation_form_has_the_user_forms_rules(client, acting_admin, overrides, message):
    response = post(client, "/admin/users/invite", invite_data(**overrides))
    assert response.status_code == 422
    assert message in text(response)
    assert _invited() is None
    assert count(Invitation) == 0 and _outbox() == []


def test_an_address_in_use_cannot_be_invited(client, acting_admin, f):
    f.officer(email=EMAIL)
    db.session.commit()
    agency = f.AgencyFactory()
    db.session.commit()
    response = post(client, "/admin/users/invite", invite_data(agency_id=str(agency.id)))
    assert response.status_code == 422
    assert "A user with this email already exists." in text(response)
    assert count(Invitation) == 0


def test_resending_sends_a_new_link_and_the_old_one_stops(client, acting_admin, f):
    user, old = invite(f, acting_admin)
    response = post(
        client,
        f"/admin/users/{user.id}/invitation/resend",
        {"next": "/admin/users"},
        page="/admin/users",
    )
    assert response.status_code == 302, text(response)
    assert "A new invitation was sent to Ivy Invited" in text(client.get("/admin/users"))
    first, second = db.session.scalars(
        select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.id)
    ).all()
    assert first.revoked_at is not None and second.is_pending(utcnow())
    assert first.token_hash == hash_token(old) and token_of(second) != old
    assert [e.invitation_id for e in _outbox()] == [first.id, second.id]
    assert client.get(f"/invite/{old}").status_code == 410


def test_withdrawing_stops_the_link(client, acting_admin, f):
    user, token = invite(f, acting_admin)
    url = f"/admin/users/{user.id}/invitation/revoke"
    response = post(
        client, url, {"next": f"/admin/users/{user.id}"}, page=f"/admin/users/{user.id}"
    )
    assert response.status_code == 302
    assert newest_invitation(user).revoked_at is not None
    assert client.get(f"/invite/{token}").status_code == 410
    page = text(client.get(f"/admin/users/{user.id}"))
    assert "Invitation withdrawn" in page and "Resend invitation" in page
    # Nothing left to withdraw: said beside the user's page.
    again = post(client, url, page=f"/admin/users/{user.id}")
    assert again.status_code == 422
    assert "No invitation of Ivy Invited is waiting" in text(again)
    # Changed by the administrator, audited.
    row = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "invitations", AuditEvent.action == AuditAction.CHANGE
        )
    )
    assert row.user_id == acting_admin.id


def test_an_expired_invitation_is_shown_and_can_be_resent(client, acting_admin, f):
    user, _ = invite(f, acting_admin)
    with time_machine.travel(utcnow() + dt.timedelta(hours=73)):
        login(client, acting_admin)  # the earlier session has long ended
        assert "Invitation expired" in text(client.get("/admin/users"))
        response = post(client, f"/admin/users/{user.id}/invitation/resend", page="/admin/users")
        assert response.status_code == 302
        assert "Invited (expires" in text(client.get("/admin/users"))


def test_nothing_to_resend_for_a_user_added_with_a_password_or_who_accepted(
    client, acting_admin, f
):
    other = f.officer(name="Paul Password")
    db.session.commit()
    response = post(client, f"/admin/users/{other.id}/invitation/resend", page="/admin/users")
    assert response.status_code == 422
    assert "Paul Password was not invited by e-mail" in text(response)
    user, token = invite(f, acting_admin)
    accepted = post(
        client,
        f"/invite/{token}",
        {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
        page=f"/invite/{token}",
    )
    assert accepted.status_code == 303
    response = post(client, f"/admin/users/{user.id}/invitation/resend", page="/admin/users")
    assert response.status_code == 422
    assert "already accepted" in text(response)
    assert "Invited (expires" not in text(client.get("/admin/users"))


# --- the e-mail -------------------------------------------------------------------------------


def _written(app, monkeypatch, **config):
    for key, value in config.items():
        monkeypatch.setitem(app.config, key, value)
    claim = mail.claim_next(600)
    return claim, mail.prepare(claim, mail_context(app))


def test_the_email_carries_the_link_from_the_public_address(app, f, monkeypatch):
    user, token = invite(f)
    _claim, prepared = _written(app, monkeypatch, PUBLIC_URL="https://lead.example.org")
    body = prepared.message.get_content()
    assert prepared.message["To"] == user.email
    assert f"https://lead.example.org/invite/{token}" in body
    assert "works once" in body
    assert user.name not in body and user.name not in prepared.message["Subject"]


@pytest.mark.parametrize("how", ["withdrawn", "expired"])
def test_the_email_of_a_link_that_no_longer_works_is_withheld(app, f, monkeypatch, how):
    admin = f.admin()
    user, _ = invite(f, admin)
    moment = utcnow()
    if how == "withdrawn":
        invitations.revoke_invitation(admin, user)
        db.session.commit()
    else:
        moment += dt.timedelta(hours=73)
    with time_machine.travel(moment):
        claim = mail.claim_next(600)
        assert mail.prepare(claim, mail_context(app)) is None
    assert _outbox()[0].status == OutboxStatus.WITHHELD


def test_development_logs_the_email_without_the_link(f, runner, app, monkeypatch, caplog):
    _user, token = invite(f)
    for key, value in {"SMTP_HOST": None, "PORTAL_ENV": "development", "PUBLIC_URL": None}.items():
        monkeypatch.setitem(app.config, key, value)
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert "your invitation to the portal" in caplog.text
    assert "/invite/[withheld]" in caplog.text
    assert token not in caplog.text


def test_an_invitation_given_up_on_is_listed_as_undelivered(client, acting_admin, f):
    user, _ = invite(f, acting_admin)
    (email,) = _outbox()
    email.status, email.attempts, email.last_error = OutboxStatus.FAILED, 8, "SMTPDataError 554"
    db.session.commit()
    page = text(client.get("/admin/mail"))
    assert "Invitation to the portal" in page and user.name in page
