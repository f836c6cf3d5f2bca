"""Helpers for the invitation tests: the link's token as the e-mail would carry it."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import Invitation, Role, User
from portal.services import accounts
from portal.services.invitations import token_for

NEW_PASSWORD = "lantern quarry beetle ribbon"


def newest_invitation(user: User) -> Invitation:
    db.session.expire_all()
    return db.session.scalar(
        select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.id.desc())
    )


def token_of(invitation: Invitation) -> str:
    """The token the e-mail's link carries (derived, as the sender does, from the secret key)."""
    token = token_for(invitation, current_app.config["SECRET_KEY"])
    assert token is not None
    return token


def invite(f, admin: User | None = None, **kw) -> tuple[User, str]:
    """An officer invited by an administrator (committed): the user and their link's token."""
    admin = admin or f.admin()
    agency = f.AgencyFactory()
    values = {
        "email": "ivy.invited@fcso.example.org",
        "name": "Ivy Invited",
        "role": "officer",
        "agency_id": agency.id,
        **kw,
    }
    values["role"] = Role(values["role"])
    invitation = accounts.invite_user(admin, **values)
    db.session.commit()
    return db.session.get(User, invitation.user_id), token_of(invitation)
