"""Server-side sessions: each sign-in is a row, found by the hash of its cookie's token.

A request is signed in only through a live session: not ended (sign-out, ended from another
session, the user deactivated, their role or password changed, their agency or organisation
deactivated) and not expired (12 hours after sign-in, however active). A copied cookie dies
with its session. Every end is audited (a sign-out of that session); the caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import AuditAction, User, UserSession
from portal.models.user_session import (
    ABSOLUTE_LIFETIME,
    USER_AGENT_LENGTH,
    hash_token,
    new_token,
)
from portal.policy import may_stay_signed_in, members_of, require
from portal.services import audit
from portal.services.errors import NotPermitted

# "Last seen" is written at most this often: not a write per request.
TOUCH_INTERVAL = dt.timedelta(minutes=1)
# The most sessions "My sessions" lists (each sign-in ends in 12 hours at the latest).
LISTED = 50


def start_session(user: User, *, ip_address: str | None, user_agent: str | None) -> str:
    """A new session for a user who has just proved who they are; its token (for the cookie)
    is attached to `user` and returned, only its hash is stored."""
    now = utcnow()
    token = new_token()
    session = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        authenticated_at=now,
        expires_at=now + ABSOLUTE_LIFETIME,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
    )
    db.session.add(session)
    db.session.flush()
    user.attach_session(session.id, token, now, now)
    return token


def user_for_token(token: str) -> User | None:
    """The user signed in with this token: its session live, the user active, their agency or
    organisation active. The user comes back attached to the session."""
    if not token:
        return None
    found = db.session.execute(
        select(User, UserSession.id, UserSession.last_seen_at, UserSession.authenticated_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == hash_token(token),
            UserSession.ended_at.is_(None),
            UserSession.expires_at > utcnow(),
            may_stay_signed_in(),
        )
    ).first()
    if found is None:
        return None
    user, session_id, last_seen, authenticated_at = found
    user.attach_session(session_id, token, last_seen, authenticated_at)
    return user


def touch_session(user: User) -> bool:
    """Note the user's session was used now, at most once a minute (one small UPDATE when due,
    else no statement at all)."""
    now = utcnow()
    last_seen = user.signed_in_last_seen
    if user.signed_in_session_id is None or (last_seen and now - last_seen < TOUCH_INTERVAL):
        return False
    result = db.session.execute(
        update(UserSession)
        .where(
            UserSession.id == user.signed_in_session_id,
            UserSession.last_seen_at <= now - TOUCH_INTERVAL,
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def note_authenticated(user: User) -> None:
    """The user has just proved who they are again (the code of the second step, or a
    re-authentication): the session this request runs under notes the time."""
    if user.signed_in_session_id is None:
        return
    now = utcnow()
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == user.signed_in_session_id)
        .values(authenticated_at=now)
        .execution_options(synchronize_session=False)
    )
    user.signed_in_authenticated_at = now


def is_recently_authenticated(user: User, within: dt.timedelta) -> bool:
    """Whether the session this request runs under proved its user within `within`."""
    checked = user.signed_in_authenticated_at
    return checked is not None and utcnow() - checked <= within


def _end(sessions: list[UserSession], by: User | None = None) -> int:
    """End these sessions, each audited as a sign-out by `by` (else the request's actor)."""
    now = utcnow()
    for session in sessions:
        session.ended_at = now
        audit.record(
            AuditAction.SIGN_OUT,
            object_type=UserSession.__tablename__,
            object_id=session.id,
            user=by,
        )
    db.session.flush()
    return len(sessions)


def _live(*where) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.ended_at.is_(None), UserSession.expires_at > utcnow(), *where)
            .order_by(UserSession.id)
        )
    )


def end_current_session(user: User) -> None:
    """Sign-out (or the idle limit): the session this request runs under ends, audited as the
    user's (the user's other sessions go on)."""
    if user.signed_in_session_id is not None:
        _end(_live(UserSession.id == user.signed_in_session_id), by=user)


def end_user_sessions(user: User, *, keep_current: bool = False) -> int:
    """Every live session of the user ends (deactivation, a role or password change), but the
    one this request runs under when `keep_current` (the user changing their own password)."""
    where = [UserSession.user_id == user.id]
    if keep_current and user.signed_in_session_id is not None:
        where.append(UserSession.id != user.signed_in_session_id)
    return _end(_live(*where))


def end_affiliation_sessions(
    *, agency_id: int | None = None, organization_id: int | None = None
) -> int:
    """Every live session of an agency's officers or an organisation's staff ends (the agency
    or organisation was deactivated)."""
    members = members_of(agency_id=agency_id, organization_id=organization_id)
    return _end(_live(UserSession.user_id.in_(select(User.id).where(members))))


def may_sign_in(user: User) -> bool:
    """The user is active, and so is their agency or organisation."""
    found = db.session.scalar(select(User.id).where(User.id == user.id, may_stay_signed_in()))
    return found is not None


def rotate_session(user: User) -> str | None:
    """A new token for the session this request runs under (a privilege change of the user
    themselves): the old token stops working; the 12-hour limit still counts from sign-in."""
    [current] = _live(UserSession.id == user.signed_in_session_id) or [None]
    if current is None:
        return None
    token = new_token()
    current.token_hash = hash_token(token)
    db.session.flush()
    user.attach_session(current.id, token, current.last_seen_at, current.authenticated_at)
    return token


def active_sessions(user: User) -> list[UserSession]:
    """The user's live sessions, most recently used first (bounded)."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.expires_at > utcnow(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
            .limit(LISTED)
        )
    )


def end_own_session(actor: User, session_id: int) -> UserSession:
    """A user ends one of their own other sessions (not someone else's: NotPermitted)."""
    [session] = _live(UserSession.id == session_id, UserSession.user_id == actor.id) or [None]
    require(session is not None, "That session is not yours, or has already ended.")
    _end([session])
    return session


def end_other_sessions(actor: User) -> int:
    """A user signs out every session of theirs but this one."""
    if actor.signed_in_session_id is None:
        raise NotPermitted("Not signed in.")
    return end_user_sessions(actor, keep_current=True)
