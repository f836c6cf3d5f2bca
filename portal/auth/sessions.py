"""Server-side sessions on the web: "last seen" noted, a rotated token put in the cookie, and
"My sessions", where a user sees where they are signed in and ends the others."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from portal.auth import bp
from portal.auth.forms import EmptyForm
from portal.auth.idle import is_poll
from portal.extensions import db
from portal.policy import home_endpoint
from portal.services import user_sessions
from portal.web.changes import run_change
from portal.web.htmx import render

# Where Flask-Login keeps `get_id()` (the session's token) in the session cookie.
USER_ID_KEY = "_user_id"


@bp.after_app_request
def keep_session_current(response: Response) -> Response:
    """After the view: a token rotated by it goes into the cookie; a page read (not a poll)
    notes the session was used, at most once a minute.

    Registered before the audit trail's hook, so it runs after it: the page's audit rows are
    committed first, and a failure here never loses them.
    """
    if request.endpoint == "static" or not current_user.is_authenticated:
        return response
    token = current_user.get_id()
    if response.status_code < 400 and token and session.get(USER_ID_KEY) != token:
        session[USER_ID_KEY] = token
    if request.method in ("GET", "HEAD") and not is_poll():
        try:
            if user_sessions.touch_session(current_user):
                db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()  # "last seen" is informational: the page still goes out
            current_app.logger.warning("Could not note the session's last use")
    return response


@bp.get("/account/sessions")
@login_required
def sessions():
    """The user's live sessions: where and when each began, when last used; this one marked."""
    return render(
        "auth/sessions.html",
        home=home_endpoint(current_user),
        sessions=user_sessions.active_sessions(current_user),
        current_id=current_user.signed_in_session_id,
        form=EmptyForm(),
    )


def _back(message: str, category: str) -> Response:
    flash(message, category)
    return redirect(url_for("auth.sessions"))


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """End one of the user's other sessions (its cookie stops working at once)."""
    if session_id == current_user.signed_in_session_id:
        return _back("To end this session, sign out.", "error")
    return run_change(
        EmptyForm(),
        lambda: user_sessions.end_own_session(current_user, session_id),
        refused=lambda status, error: _back(error or "The session was not ended.", "error"),
        done=lambda _: _back("The session was signed out.", "success"),
    )


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign out every other session of the user."""
    return run_change(
        EmptyForm(),
        lambda: user_sessions.end_other_sessions(current_user),
        refused=lambda status, error: _back(error or "No session was ended.", "error"),
        done=lambda count: _back(
            f"{count} other session{'s' if count != 1 else ''} signed out.", "success"
        ),
    )
