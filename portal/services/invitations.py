"""Inviting users by e-mail: a one-time link, valid 72 hours, with which the person chooses their
own password.

The rules:
- an invited user is created inactive, with the hash of a random password nobody ever knows:
  no password signs them in until they accept (and the sign-in's "inactive" check refuses them
  anyway);
- the link's token is never stored, logged or audited. The database keeps its SHA-256 (to find
  the invitation) and a random salt; the token is the HMAC of the salt under the app's secret
  key, so the e-mail sender can write the link after the commit, and a copy of the database
  alone holds no usable link;
- a link works once: accepting marks it used in one conditional UPDATE (`used_at IS NULL`, not
  revoked, not expired), so of two submits at the same instant only one sets the password;
- resending revokes the open link and sends a new one; revoking stops it; both are audited.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from enum import StrEnum

from flask import current_app
from sqlalchemy import func, select, update

from portal.clock import utcnow
from portal.database import begin_write
from portal.extensions import db
from portal.models import (
    INVITATION_LIFETIME,
    AuditAction,
    Invitation,
    OutboxEmail,
    User,
)
from portal.passwords import hash_password, password_problem
from portal.policy import can_manage_users, require
from portal.services import audit, user_sessions
from portal.services.errors import DomainError, ValidationFailed


class InvitationGone(DomainError):
    """The link is unknown, used, revoked or expired: one message for all, naming nobody
    (`known`: the link once worked, answered 410 rather than 404)."""

    def __init__(self, known: bool = False) -> None:
        super().__init__(
            "This invitation link does not work: it was already used, has expired or was "
            "withdrawn. Ask the program office for a new invitation."
        )
        self.known = known


class InvitationState(StrEnum):
    PENDING = "pending"  # the link works
    EXPIRED = "expired"  # not used in time: resend it
    REVOKED = "revoked"  # withdrawn by an administrator: resend it if need be


# --- the token ----------------------------------------------------------------------------------


def _derive_token(salt: str, secret_key: str) -> str:
    """The link's token: the HMAC-SHA256 of the invitation's salt under the secret key (256 bits,
    URL-safe)."""
    digest = hmac.new(secret_key.encode(), f"invitation:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """What the database keeps of a token, and finds the invitation by."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_for(invitation: Invitation, secret_key: str) -> str | None:
    """The token of an invitation's link, for its e-mail; None when the secret key changed since
    it was made (the link would not work: the e-mail is withheld, and an administrator resends)."""
    token = _derive_token(invitation.token_salt, secret_key)
    return token if hmac.compare_digest(hash_token(token), invitation.token_hash) else None


# --- issuing, resending, revoking ---------------------------------------------------------------


def issue_invitation(actor: User, user: User) -> Invitation:
    """A new link for `user` (audited as the creation of an invitation) and its e-mail, queued in
    the outbox for the sender to write and send after the commit."""
    now, salt = utcnow(), secrets.token_hex(32)
    token = _derive_token(salt, current_app.config["SECRET_KEY"])
    invitation = Invitation(
        user_id=user.id,
        created_by_id=actor.id,
        token_hash=hash_token(token),
        token_salt=salt,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    db.session.add(OutboxEmail(user_id=user.id, invitation_id=invitation.id, next_attempt_at=now))
    db.session.flush()
    return invitation


def revoke_open(user: User, now: dt.datetime | None = None) -> list[int]:
    """Revoke the user's open links (one UPDATE); returns their ids, each audited."""
    now = now or utcnow()
    revoked = list(
        db.session.scalars(
            update(Invitation)
            .where(
                Invitation.user_id == user.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(Invitation.id)
            .execution_options(synchronize_session=False)
        )
    )
    for invitation_id in revoked:
        audit.record(
            AuditAction.CHANGE, object_type=Invitation.__tablename__, object_id=invitation_id
        )
    return revoked


def has_accepted(user: User) -> bool:
    """Whether the user ever accepted an invitation."""
    used = select(func.count()).where(
        Invitation.user_id == user.id, Invitation.used_at.is_not(None)
    )
    return bool(db.session.scalar(used))


def resend_invitation(actor: User, user: User) -> Invitation:
    """A new link for a user who has not accepted yet; the old link stops working."""
    require(can_manage_users(actor), "Only administrators invite users.")
    begin_write(db.session)
    if latest_invitation(user) is None:
        raise ValidationFailed(f"{user.name} was not invited by e-mail: nothing to resend.")
    if has_accepted(user):
        raise ValidationFailed(f"{user.name} has already accepted their invitation.")
    revoke_open(user, utcnow())
    return issue_invitation(actor, user)


def revoke_invitation(actor: User, user: User) -> None:
    """The user's open link stops working (they stay inactive, with no usable password)."""
    require(can_manage_users(actor), "Only administrators withdraw invitations.")
    begin_write(db.session)
    if not revoke_open(user, utcnow()):
        raise ValidationFailed(f"No invitation of {user.name} is waiting to be accepted.")
    db.session.flush()


# --- what administrators see --------------------------------------------------------------------


def latest_invitation(user: User) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.id.desc())
    )


def open_invitations(user_ids: list[int]) -> dict[int, tuple[InvitationState, dt.datetime]]:
    """For each of these users whose newest link is not used: its state and expiry (a user
    absent from the answer was added with a password, or accepted)."""
    if not user_ids:
        return {}
    newest = (
        select(func.max(Invitation.id))
        .where(Invitation.user_id.in_(user_ids))
        .group_by(Invitation.user_id)
    )
    rows = db.session.execute(
        select(
            Invitation.user_id, Invitation.expires_at, Invitation.used_at, Invitation.revoked_at
        ).where(Invitation.id.in_(newest))
    ).all()
    now, states = utcnow(), {}
    for user_id, expires_at, used_at, revoked_at in rows:
        if used_at is not None:
            continue
        if revoked_at is not None:
            states[user_id] = (InvitationState.REVOKED, expires_at)
        elif expires_at <= now:
            states[user_id] = (InvitationState.EXPIRED, expires_at)
        else:
            states[user_id] = (InvitationState.PENDING, expires_at)
    return states


# --- accepting ----------------------------------------------------------------------------------


def pending_invitation(token: str) -> Invitation:
    """The invitation of a link that still works, else `InvitationGone`."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise InvitationGone()
    if not invitation.is_pending(utcnow()):
        raise InvitationGone(known=True)
    return invitation


def accept_invitation(token: str, password: str) -> User:
    """Set the invited user's password (the password rule applies), mark the link used, and
    activate the user, in one transaction. The link is claimed by one conditional UPDATE: of two
    submits at once, the second finds it used. Audited as the invitee, from the request's
    address."""
    invitation = pending_invitation(token)
    user = db.session.get(User, invitation.user_id)
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise ValidationFailed(problem, field="new_password")
    password_hash = hash_password(password)  # slow: before any lock is taken
    begin_write(db.session)
    now = utcnow()
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InvitationGone(known=True)
    actor = audit.current_actor()
    previous = audit.set_actor(user, actor.ip_address)
    try:
        audit.record(
            AuditAction.CHANGE, object_type=Invitation.__tablename__, object_id=invitation.id
        )
        revoke_open(user, now)  # any other link of theirs (none, unless resent meanwhile)
        db.session.refresh(user)
        user.password_hash = password_hash
        user.must_change_password = False
        user.active = True
        user.failed_logins, user.locked_until = 0, None
        user_sessions.end_user_sessions(user)
        db.session.flush()
    finally:
        audit.reset_actor(previous)
    return user
