"""The demo officers' inboxes: one officer on the daily digest, and the updates of past weeks
dated as their events were (older ones read), so the inbox looks lived in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Notification, NotificationMode, TimelineEntry, User
from portal.services.notifications import set_notification_mode

DIGEST_OFFICER = "deputy.price@fcso.example.org"
READ_AFTER = dt.timedelta(days=14)


def choose_modes(users: dict[str, User]) -> None:
    """Deputy Price takes one e-mail a day; the others the default (each update at once)."""
    set_notification_mode(users[DIGEST_OFFICER], NotificationMode.DIGEST)


def settle() -> None:
    """Date each notification as its (backdated) event, and mark those older than two weeks read."""
    rows = db.session.execute(
        select(Notification, TimelineEntry.created_at).join(
            TimelineEntry, TimelineEntry.id == Notification.entry_id
        )
    ).all()
    now = utcnow()
    for notification, at in rows:
        notification.created_at = at
        if now - at > READ_AFTER:
            notification.read_at = at + dt.timedelta(hours=2)
