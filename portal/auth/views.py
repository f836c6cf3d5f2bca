from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, logout_user

from portal.auth import bp, limits, mfa
from portal.auth.forms import LoginForm
from portal.extensions import db, login_manager
from portal.policy import home_endpoint
from portal.services import accounts, user_sessions
from portal.web.htmx import is_htmx, render

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
# The session cookie lasts as long as the browser (not "permanent"), so "strong" protection
# drops a cookie replayed from another address or browser; the server-side session (see
# portal.services.user_sessions) ends it at sign-out, 12 hours after sign-in, or remotely.
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(token: str):
    return accounts.user_for_session(token)


def _return_path() -> str | None:
    """Where to come back to after sign-in: this page, or for a form post the page it was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    # A POST-only URL cannot be reopened with GET (it would answer 405 after sign-in).
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.netloc == request.host and current.path.startswith("/"):
        return current.path + (f"?{current.query}" if current.query else "")
    return None


@login_manager.unauthorized_handler
def unauthorized():
    target = url_for("auth.login", next=_return_path())
    if request.headers.get("HX-Request") == "true":
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash(login_manager.login_message, "info")
    return redirect(target)


def safe_next(target: str | None) -> str | None:
    if not target:
        return None
    # Browsers read a backslash as a slash and drop tabs and newlines: "/\\evil" is "//evil".
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limits.per_address
@limits.per_account
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = accounts.count_sign_in_attempt(form.email.data)
        db.session.commit()  # counted before the (slow) password check, holding no lock during it
        user = accounts.check_sign_in(attempt, form.password.data)
        if user is not None:
            # A new server-side session and token at each sign-in (no fixation, no reuse).
            user_sessions.start_session(
                user,
                ip_address=request.remote_addr,
                user_agent=request.headers.get("User-Agent"),
            )
            db.session.commit()
            # Signed in, or half signed in until the second factor (portal/auth/mfa.py).
            return mfa.after_password(user, safe_next(request.args.get("next")))
        db.session.commit()  # the failed attempt counts towards the lockout
        form.password.errors.append(
            "The email or password is not correct. After 5 failed attempts in a row an account "
            "is locked for 10 minutes."
        )
    status = 422 if form.errors else 200
    return render("auth/login.html", block="form" if is_htmx() else None, status=status, form=form)


@bp.post("/logout")
@login_required
def logout():
    user_sessions.end_current_session(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))
