"""A user changing their own password (every role).

The audit trail records the change itself (a PASSWORD_CHANGE row from the flush listener, with
ids only); a refused attempt is recorded by `record_refused_password_change`. Neither the old
nor the new password is kept, logged or audited.
"""

from __future__ import annotations

from portal.extensions import db
from portal.models import AuditAction, AuditOutcome, User
from portal.passwords import hash_password, password_problem, verify_password
from portal.services import audit, user_sessions
from portal.services.errors import ValidationFailed

WRONG_CURRENT_PASSWORD = "Your current password is not correct."  # noqa: S105 - a message


def change_own_password(user: User, current_password: str, new_password: str) -> User:
    """The current password is required; the new one follows the password rule and differs from
    it. It releases a must-change mark and ends the user's other sessions (this one goes on
    under a new token)."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed(WRONG_CURRENT_PASSWORD, field="current_password")
    problem = password_problem(new_password, email=user.email, name=user.name)
    if problem:
        raise ValidationFailed(problem, field="new_password")
    if new_password == current_password:
        raise ValidationFailed(
            "Choose a password different from your current one.", field="new_password"
        )
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_other_sessions(user)
    db.session.flush()
    return user


def end_other_sessions(user: User) -> None:
    """Every other session of the user ends; this one goes on under a new token."""
    user_sessions.end_user_sessions(user, keep_current=True)
    user_sessions.rotate_session(user)


def record_refused_password_change(user: User) -> None:
    """A change refused for a wrong current password (someone at an unattended session, say)."""
    audit.record(
        AuditAction.PASSWORD_CHANGE,
        object_type=User.__tablename__,
        object_id=user.id,
        outcome=AuditOutcome.REFUSED,
    )
    db.session.flush()
