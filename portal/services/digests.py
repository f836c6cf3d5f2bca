"""The daily digest: one e-mail a local day to each officer who chose it, listing the updates
waiting for it (case numbers and kinds of update only).

At most one digest an officer a day (a unique row per officer and local day, inserted or not
in one statement), so the command may run from cron as often as wished, on any number of hosts
at once. A digest takes every update waiting for one, so nothing is left out: what arrives
after the day's digest goes with the next day's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.models import Digest, Notification, NotificationMode, OutboxEmail

BATCH = 200


def _waiting() -> tuple:
    """Notifications waiting for a digest, as query criteria."""
    return (Notification.email == NotificationMode.DIGEST, Notification.digest_id.is_(None))


def officers_waiting(after: int = 0, limit: int = BATCH) -> list[int]:
    """Officers with updates waiting for a digest (ids above `after`, a bounded batch)."""
    return list(
        db.session.scalars(
            select(Notification.user_id)
            .where(*_waiting(), Notification.user_id > after)
            .group_by(Notification.user_id)
            .order_by(Notification.user_id)
            .limit(limit)
        )
    )


def queue_digest(
    user_id: int, day: dt.date | None = None, now: dt.datetime | None = None
) -> OutboxEmail | None:
    """The officer's digest of `day` (default: today, where the program runs), taking the
    updates waiting for one, with its e-mail in the outbox; None when the day has had its
    digest already, or nothing waits."""
    day = day or local_today()
    now = now or utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = Digest.__table__
    digest_id = db.session.scalar(
        insert(table)
        .values(user_id=user_id, day=day, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "day"])
        .returning(table.c.id)
    )
    if digest_id is None:
        return None
    taken = db.session.execute(
        update(Notification)
        .where(*_waiting(), Notification.user_id == user_id, Notification.created_at <= now)
        .values(digest_id=digest_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        # Nothing waited after all (the officer left the digest meanwhile): no digest today
        # yet, so a later run may still send one.
        db.session.execute(delete(Digest).where(Digest.id == digest_id))
        return None
    email = OutboxEmail(user_id=user_id, digest_id=digest_id, next_attempt_at=now)
    db.session.add(email)
    db.session.flush()
    return email
