"""Server-side sign-in sessions: one row per sign-in, found by the hash of its cookie's token."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, intpk
from portal.models.user import User

# CJIS and finding 3 of issue 10: a session ends 12 hours after sign-in, however active.
ABSOLUTE_LIFETIME = dt.timedelta(hours=12)
USER_AGENT_LENGTH = 200


def new_token() -> str:
    """The secret the session cookie carries (256 random bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps of a token: a stolen table holds no usable cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(Base):
    """One sign-in of a user, from one browser: live until signed out, ended or expired."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        # "My sessions" and ending a user's sessions read only the live rows of one user.
        Index(
            "ix_user_sessions_live",
            "user_id",
            "expires_at",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[dt.datetime]
    # When the user last proved who they are in this session: the password at sign-in, the
    # code of the second step, or a re-authentication before a sensitive action.
    authenticated_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    ended_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    def is_live(self, now: dt.datetime) -> bool:
        return self.ended_at is None and self.expires_at > now

    @property
    def browser(self) -> str:
        """The browser and system, as a person would name them (from the user agent)."""
        agent = self.user_agent or ""
        name = next((label for key, label in BROWSERS if key in agent), "Unknown browser")
        system = next((label for key, label in SYSTEMS if key in agent), None)
        return f"{name} on {system}" if system else name


# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
