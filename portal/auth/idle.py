"""Sign a user out after a period without activity (CJIS: 30 minutes idle).

Pages poll for live updates (timelines, the referral queue). Those requests carry the
`X-Portal-Poll` header and do not count as activity, so a page left open does not keep a
session alive forever.
"""

from __future__ import annotations

import time

from flask import current_app, flash, request, session
from flask_login import current_user, logout_user

from portal.extensions import db, login_manager
from portal.services.user_sessions import end_current_session

POLL_HEADER = "X-Portal-Poll"
SEEN_KEY = "seen"


def is_poll() -> bool:
    return request.headers.get(POLL_HEADER) == "1"


def enforce_idle_timeout():
    """Before each request: end an idle session, or record real activity."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = time.time()
    last_seen = session.get(SEEN_KEY)
    limit = current_app.config["SESSION_IDLE_SECONDS"]
    if last_seen is not None and now - last_seen > limit:
        # The server-side session ends too: a copy of the cookie dies with it.
        end_current_session(current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        minutes = limit // 60
        flash(
            f"You were signed out after {minutes} minute{'' if minutes == 1 else 's'} without"
            " activity.",
            "info",
        )
        return login_manager.unauthorized()
    if not is_poll() or last_seen is None:
        session[SEEN_KEY] = now
    return None
