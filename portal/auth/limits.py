"""Sign-in rate limits: per client address and per account, in storage all app servers share;
an invitation's page is limited the same way, per address and per link.

They sit in front of the lockout (which counts failures in the database): an attempt over a limit
is answered 429 before its form, its CSRF token or its password is looked at. The password step,
the code step (portal/auth/mfa.py) and re-authentication (portal/auth/reauth.py) each have both
limits; the account is the e-mail typed, the half-signed-in user, or the signed-in one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from flask import current_app, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from portal.auth import bp
from portal.extensions import db, limiter
from portal.models import User
from portal.services import accounts, audit
from portal.web.errors import render_error

PER_ADDRESS_COUNT, PER_ACCOUNT_COUNT = 10, 5
PER_ADDRESS = f"{PER_ADDRESS_COUNT} per minute"
PER_ACCOUNT = f"{PER_ACCOUNT_COUNT} per minute"
MESSAGE = (
    "Too many sign-in attempts from this device or for this account. Wait a minute, then try again."
)

LINK_MESSAGE = (
    "Too many attempts from this device or with this link. Wait a minute, then try again."
)


def _hashed(email: str) -> str:
    """An account as a keyed hash of its e-mail: the address itself never reaches the
    rate-limit storage or a log line."""
    email = accounts.normalise_email(email)
    secret = current_app.config["SECRET_KEY"].encode()
    return "account:" + hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()


def account_key() -> str:
    """The account a sign-in attempt names (the e-mail typed)."""
    return _hashed(request.form.get("email", ""))


@limiter.request_filter
def limits_off() -> bool:
    """RATELIMIT_ENABLED read per app: the limiter is one object, and an app that turned the
    limits off (the test suite's) stays off when another app in the process turns them on."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def link_key() -> str:
    """The invitation link a request names, as a keyed hash of its token (never the token)."""
    token = (request.view_args or {}).get("token", "")
    secret = current_app.config["SECRET_KEY"].encode()
    return "link:" + hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


per_address = limiter.limit(PER_ADDRESS, methods=["POST"], key_func=get_remote_address)
per_account = limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=account_key)
# An invitation's page: its GET answers whether a link works, so both methods count.
per_address_any = limiter.limit(PER_ADDRESS, key_func=get_remote_address)
per_link = limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=link_key)


def per_account_of(find_user: Callable[[], User | None]):
    """The per-account limit where the account is not typed but known from the session: the
    half-signed-in user at the code step, the signed-in one at re-authentication. Without one,
    the attempt counts under the empty account (the view then refuses it anyway)."""

    def key() -> str:
        user = find_user()
        return _hashed(user.email if user is not None else "")

    return limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=key)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    """The portal's own page (htmx shows its message), and an audit row without the e-mail."""
    # The limit is checked before the request's actor is set: attribute the row to the address.
    token = audit.set_actor(None, request.remote_addr)
    try:
        accounts.record_sign_in_limited()
        db.session.commit()
    finally:
        audit.reset_actor(token)
    message = LINK_MESSAGE if request.endpoint == "auth.invitation" else MESSAGE
    return render_error(429, message)  # Flask-Limiter adds Retry-After
