"""Re-authentication before sensitive actions (issue 10): the password again, and a code when the
user has an authenticator, when the session last proved its user more than REAUTH_AFTER ago.

A view declares it with `@fresh_auth_required` (which actions are sensitive is where the
decorator is placed). A stale request is refused before the view runs, so nothing is done: a
page is redirected (302) to the re-authentication page, an htmx request answered 401 with
`HX-Redirect` there (as an expired session is); after it the user is sent back to the page they
came from (same origin only), to do the action again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, logout_user

from portal.auth import bp, limits
from portal.auth.reauth_forms import ReauthForm
from portal.auth.views import safe_next
from portal.extensions import db
from portal.models import User
from portal.policy import home_endpoint
from portal.services import mfa, reauthentication, user_sessions
from portal.services.reauthentication import Reauth
from portal.web.htmx import is_htmx, render

ASK = "For your security, enter your password again to continue."
WRONG = (
    "The password or code is not correct. After 5 failed attempts in a row an account is "
    "locked for 10 minutes."
)
LOCKED = (
    "Too many failed attempts: the account is locked for 10 minutes and you were signed out. "
    "Sign in again after that."
)


def is_fresh(user: User) -> bool:
    """Whether the signed-in session proved its user within REAUTH_AFTER."""
    return user_sessions.is_recently_authenticated(user, current_app.config["REAUTH_AFTER"])


def _same_origin_path(url: str | None) -> str | None:
    """The path and query of an address on this host, or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def came_from() -> str | None:
    """The page the user acted from: htmx's current page, else the referring page (the
    portal's Referrer-Policy sends it within the site); a page asked for directly, itself."""
    for url in (request.headers.get("HX-Current-URL"), request.referrer):
        path = _same_origin_path(url)
        if path:
            return path
    if request.method in ("GET", "HEAD"):
        return safe_next(request.full_path.rstrip("?"))
    return None


def ask_to_reauthenticate() -> Response:
    """Refuse this request and send the user to re-authenticate, then back where they were."""
    target = url_for("auth.reauthenticate", next=came_from())
    flash(ASK, "info")
    if request.headers.get("HX-Request") == "true":
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def fresh_auth_required(
    view: Callable | None = None, *, methods: Iterable[str] | None = None
) -> Callable:
    """Mark a view as a sensitive action: it runs only for a session that proved its user
    within REAUTH_AFTER. `methods` limits the check to those methods (a page whose GET only
    shows the form); by default every request to the view is checked."""
    checked = {m.upper() for m in methods} if methods is not None else None

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if (checked is None or request.method in checked) and not (
                current_user.is_authenticated and is_fresh(current_user)
            ):
                if not current_user.is_authenticated:
                    return current_app.login_manager.unauthorized()
                return ask_to_reauthenticate()
            return view(*args, **kwargs)

        wrapped.fresh_auth_required = True
        return wrapped

    return decorate(view) if view is not None else decorate


def _signed_in_user() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _page(form: ReauthForm, has_code: bool, status: int = 200) -> Response:
    return render(
        "auth/reauth.html",
        block="form" if is_htmx() else None,
        status=status,
        form=form,
        has_code=has_code,
    )


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@limits.per_address
@limits.per_account_of(_signed_in_user)
def reauthenticate():
    """The password again (and a code with an authenticator); then back to the page the user
    came from. Wrong answers count towards the lockout as at sign-in."""
    user = current_user._get_current_object()
    has_code = mfa.has_mfa(user)
    next_url = safe_next(request.args.get("next")) or url_for(home_endpoint(user))
    form = ReauthForm()
    if not form.validate_on_submit():
        return _page(form, has_code, 422 if form.errors else 200)
    if has_code and not (form.code.data or "").strip():
        form.code.errors.append("Enter the code.")
        return _page(form, has_code, 422)
    attempt = reauthentication.count_attempt(user)
    db.session.commit()  # counted before the (slow) password check, holding no lock during it
    result = reauthentication.reauthenticate(
        user, attempt, form.password.data, form.code.data or ""
    )
    db.session.commit()  # the session's new time, or the failure's count; the audit rows
    if result is Reauth.CONFIRMED:
        return redirect(next_url)
    if result is Reauth.LOCKED:
        # A session cannot go on guessing its user's password: it ends with the lockout.
        user_sessions.end_current_session(user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(LOCKED, "error")
        return redirect(url_for("auth.login"))
    form.password.errors.append(WRONG)
    return _page(form, has_code, 422)
