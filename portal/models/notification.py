"""Officers kept informed: a notification per officer told of a case's progress, the e-mail
outbox that carries them after the commit, daily digests, and each officer's choice of e-mail.

A notification holds ids, the kind of event and when it was read: nothing about the person.
What it says is worded when it is shown, from the timeline entry, by the disclosure rule in
force then.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, created_at, enum_type, intpk, utcnow
from portal.models.case import Case, TimelineEntry, TimelineKind
from portal.models.invitation import Invitation
from portal.models.user import User


class NotificationMode(enum.StrEnum):
    """How an officer wants to hear of updates by e-mail (the inbox always has them)."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    NONE = "none"

    @property
    def label(self) -> str:
        return {
            "immediate": "An e-mail for each update, when it happens",
            "digest": "One e-mail a day listing the day's updates",
            "none": "No e-mail (the inbox in the portal only)",
        }[self.value]


# Officers act on a decline or a non-compliance (the held charge), and hear of few updates a
# month: each e-mail at once unless they choose otherwise.
DEFAULT_MODE = NotificationMode.IMMEDIATE


class NotificationPreference(Base):
    """An officer's choice of e-mail; without a row, `DEFAULT_MODE`."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    mode: Mapped[NotificationMode] = mapped_column(enum_type(NotificationMode, "mode"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Digest(Base):
    """One day's digest e-mail to one officer: at most one a local day."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_digests_user_id_day"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[dt.date]
    created_at: Mapped[created_at]


class Notification(Base):
    """One officer told of one timeline event of a case."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "entry_id", name="uq_notifications_user_id_entry_id"),
        # The inbox, newest first.
        Index("ix_notifications_user_id_created_at", "user_id", "created_at", "id"),
        # The header's unread count reads this index only.
        Index(
            "ix_notifications_unread",
            "user_id",
            "id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
        Index("ix_notifications_digest_id", "digest_id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("timeline_entries.id"))
    kind: Mapped[TimelineKind] = mapped_column(enum_type(TimelineKind, "notification_kind"))
    # The e-mail it gets, as the officer chose when it was made.
    email: Mapped[NotificationMode] = mapped_column(enum_type(NotificationMode, "email"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"))
    created_at: Mapped[created_at]
    read_at: Mapped[dt.datetime | None]

    case: Mapped[Case] = relationship()
    entry: Mapped[TimelineEntry] = relationship()
    user: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a sender (maybe after a failed try)
    SENT = "sent"
    FAILED = "failed"  # given up after the set number of tries: an administrator looks
    WITHHELD = "withheld"  # no longer to be sent (consent ended, account closed, nothing left)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OutboxEmail(Base):
    """An e-mail to send after the commit of what caused it: one notification, one digest, or
    one invitation to the portal.

    A sender claims a row (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: a conditional UPDATE)
    and holds it until `claimed_until`, so two senders never send one e-mail twice.
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN notification_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN digest_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_notification_digest_or_invitation",
        ),
        Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), unique=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"), unique=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[dt.datetime | None]
    # What went wrong last: the error's class and SMTP code, never the server's text (it may
    # quote an address).
    last_error: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship()
    notification: Mapped[Notification | None] = relationship()
    digest: Mapped[Digest | None] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
