"""Re-authentication before a sensitive action: the password again, and a code when the user
has an authenticator, counted and locked exactly as signing in is (five wrong in a row lock the
account for ten minutes), and audited on the session it renews."""

from __future__ import annotations

import enum

from portal.models import User
from portal.services import accounts, mfa, user_sessions
from portal.services.accounts import MAX_FAILED_LOGINS, SignInAttempt


class Reauth(enum.Enum):
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    LOCKED = "locked"  # the account is locked (before, or by this attempt)


def count_attempt(user: User) -> SignInAttempt:
    """Count the attempt against the user's account, as a sign-in attempt is counted (the
    caller commits it before the password is checked)."""
    return accounts.count_sign_in_attempt(user.email)


def reauthenticate(user: User, attempt: SignInAttempt, password: str, code: str) -> Reauth:
    """Check the signed-in user's password (and, with an authenticator, the code); when right,
    the session notes the time. A wrong password leaves the code untried (and unused). The
    caller commits whatever the answer."""
    if attempt.user_id != user.id:
        # The account's e-mail changed since this request loaded it: not this user's attempt.
        return Reauth.REFUSED
    checked = accounts.check_sign_in(attempt, password, session_id=user.signed_in_session_id)
    if checked is None:
        locked = attempt.locked or attempt.number >= MAX_FAILED_LOGINS
        return Reauth.LOCKED if locked else Reauth.REFUSED
    if mfa.has_mfa(user):
        result = mfa.check_sign_in_code(user, code)
        if result is mfa.CodeCheck.LOCKED:
            return Reauth.LOCKED
        if result is not mfa.CodeCheck.ACCEPTED:
            return Reauth.REFUSED
    user_sessions.note_authenticated(user)
    return Reauth.CONFIRMED
