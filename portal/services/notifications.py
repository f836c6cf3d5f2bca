"""Officers kept informed of their referrals: notifications made with the timeline entry that
causes them (in its transaction, with the e-mail to send after the commit), and each officer's
choice of e-mail.

Who is told is the disclosure rule's answer (`policy.officer_disclosure`), asked of the entry
itself: an officer is told exactly what their case page would show, and an e-mail goes only
with a notification. (The inbox, `portal.services.inbox`, asks the rule again when it shows
them, so a consent that ended takes its updates out of the inbox as off the case page.)
"""

from __future__ import annotations

from sqlalchemy import exists, select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    Case,
    Notification,
    NotificationMode,
    NotificationPreference,
    OutboxEmail,
    TimelineEntry,
    TimelineKind,
    User,
)
from portal.models.notification import DEFAULT_MODE
from portal.policy import (
    OUTCOME_KINDS,
    SCREENING_KINDS,
    STATUS_KINDS,
    officer_disclosure,
    officers_to_tell,
    receives_notifications,
    require,
)

# The events an officer is told of: screening's answer, and (as far as a consent allows) the
# participant's progress and outcome. The referral's receipt is the officer's own doing.
TOLD_KINDS = (SCREENING_KINDS | STATUS_KINDS | OUTCOME_KINDS) - {TimelineKind.REFERRAL_RECEIVED}
OFFICERS_ONLY = "Only officers receive notifications."


# --- made with the event ------------------------------------------------------------------------


def notify_officers(case: Case, entry: TimelineEntry) -> list[Notification]:
    """Tell each officer the disclosure rule lets know of this event, in the event's own
    transaction; queue an e-mail for those who want each update at once. A consent recorded
    tells the officers it names what they may now know and were not told (the intake it was
    signed at, say)."""
    if entry.kind == TimelineKind.CONSENT_RECORDED:
        return _catch_up(case)
    if entry.kind not in TOLD_KINDS:
        return []
    db.session.flush()  # the entry's id: the rule is asked of the entry itself
    officers = list(db.session.scalars(officers_to_tell(case.id)))
    return _tell([(user, entry) for user in officers if _may_know(user, entry)])


def _catch_up(case: Case) -> list[Notification]:
    db.session.flush()  # the consent, for the rule's query
    pairs = []
    for user in db.session.scalars(officers_to_tell(case.id)):
        told = select(Notification.id).where(
            Notification.user_id == user.id, Notification.entry_id == TimelineEntry.id
        )
        entries = db.session.scalars(
            select(TimelineEntry)
            .where(
                TimelineEntry.case_id == case.id,
                TimelineEntry.kind.in_(TOLD_KINDS),
                officer_disclosure(user),
                ~exists(told),
            )
            .order_by(TimelineEntry.created_at, TimelineEntry.id)
        )
        pairs += [(user, entry) for entry in entries]
    return _tell(pairs)


def _tell(pairs: list[tuple[User, TimelineEntry]]) -> list[Notification]:
    modes = notification_modes(sorted({user.id for user, _ in pairs}))
    now = utcnow()
    made = []
    for user, entry in pairs:
        mode = modes[user.id]
        notification = Notification(
            user_id=user.id,
            case_id=entry.case_id,
            entry=entry,
            kind=entry.kind,
            email=mode,
            created_at=now,
        )
        db.session.add(notification)
        if mode == NotificationMode.IMMEDIATE:
            db.session.add(
                OutboxEmail(user_id=user.id, notification=notification, next_attempt_at=now)
            )
        made.append(notification)
    return made


def _may_know(user: User, entry: TimelineEntry) -> bool:
    """The officer's disclosure rule allows this entry (asked as their timeline asks it)."""
    return (
        db.session.scalar(
            select(TimelineEntry.id).where(TimelineEntry.id == entry.id, officer_disclosure(user))
        )
        is not None
    )


# --- choice of e-mail ---------------------------------------------------------------------------


def notification_modes(user_ids: list[int]) -> dict[int, NotificationMode]:
    """Each officer's choice of e-mail (the default where none was made), in one query."""
    found = dict.fromkeys(user_ids, DEFAULT_MODE)
    if user_ids:
        rows = db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.mode).where(
                NotificationPreference.user_id.in_(user_ids)
            )
        )
        found.update(dict(rows.all()))
    return found


def notification_mode(user: User) -> NotificationMode:
    return notification_modes([user.id])[user.id]


def set_notification_mode(actor: User, mode: NotificationMode) -> NotificationMode:
    """An officer chooses how updates reach them by e-mail. Updates waiting for a digest stay in
    the inbox without one when the officer leaves the digest."""
    require(receives_notifications(actor), OFFICERS_ONLY)
    preference = db.session.get(NotificationPreference, actor.id)
    if preference is None:
        db.session.add(NotificationPreference(user_id=actor.id, mode=mode))
    else:
        preference.mode = mode
    if mode != NotificationMode.DIGEST:
        db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == actor.id,
                Notification.email == NotificationMode.DIGEST,
                Notification.digest_id.is_(None),
            )
            .values(email=NotificationMode.NONE)
        )
    db.session.flush()
    return mode
