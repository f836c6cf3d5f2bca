"""Invitations: an administrator invites a person by e-mail to choose their own password."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, intpk
from portal.models.user import User

# How long an invitation link works (issue 10: 72 hours).
INVITATION_LIFETIME = dt.timedelta(hours=72)


class Invitation(Base):
    """One invitation link sent to one user; it works once, until `expires_at`.

    The link's token is never stored: `token_hash` is its SHA-256 (what the link is looked up
    by), and `token_salt` the random value the token is derived from with the app's secret key
    (an HMAC), so the e-mail sender can write the link after the commit. A copy of the
    database alone therefore holds no usable link.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        # The users page reads the newest invitation of each listed user.
        Index("ix_invitations_user_id_id", "user_id", "id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    # Revoked by an administrator, or replaced by a new link (resent).
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_pending(self, now: dt.datetime) -> bool:
        """Not used, not revoked, not expired: the link still works."""
        return self.used_at is None and self.revoked_at is None and self.expires_at > now

    def is_open(self) -> bool:
        """Not used and not revoked (it may have expired): resending makes sense."""
        return self.used_at is None and self.revoked_at is None
