"""The second step of signing in (CJIS multi-factor), and setting up an authenticator.

A correct password does not sign in a user who has an authenticator, or who must set one up
(`MFA_REQUIRED`): it leaves them half signed in, in the session only (`mfa_pending`: their
session token and a five-minute limit), and Flask-Login's `login_user` runs only once the code
is right or the new authenticator is confirmed. Five wrong codes lock the account as five wrong
passwords do, and end the half-signed-in state.
"""

from __future__ import annotations

import time

import segno
from flask import Response, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from portal.auth import bp, limits
from portal.auth.mfa_forms import CodeForm
from portal.extensions import db, login_manager
from portal.models import User
from portal.policy import home_endpoint
from portal.services import accounts, mfa, user_sessions
from portal.services.errors import InvalidTransition
from portal.web.htmx import is_htmx, render

PENDING = "mfa_pending"
PENDING_SECONDS = 5 * 60
# The secret of an authenticator being set up, until its first code confirms it.
ENROLMENT = "mfa_enrolment"
# Set in a session signed in with a second factor (or that has just set one up).
VERIFIED = "mfa_verified"
# What a signed-in user without an authenticator may still reach when it is required.
WHILE_ENROLLING = frozenset({"static", "auth.mfa_setup", "auth.logout", "auth.login"})


def start_session(user: User, verified: bool) -> None:
    """Sign in: a fresh session (nothing from before survives: session fixation). The cookie is
    the browser session's, not permanent, so Flask-Login's strong protection refuses it from
    another address or browser; the server-side session ends 12 hours after sign-in."""
    session.clear()
    login_user(user)
    if verified:
        session[VERIFIED] = True


def after_password(user: User, next_url: str | None) -> Response:
    """The password was right: sign in, or ask for the code, or for setting up an authenticator."""
    has_mfa = mfa.has_mfa(user)
    if not has_mfa and not current_app.config["MFA_REQUIRED"]:
        start_session(user, verified=False)
        return redirect(next_url or url_for(home_endpoint(user)))
    session.clear()
    session[PENDING] = {
        "token": user.signed_in_token,  # the server-side session begun at the password
        "until": time.time() + PENDING_SECONDS,
        "next": next_url,
    }
    return redirect(url_for("auth.mfa_code" if has_mfa else "auth.mfa_setup"))


def pending_user() -> User | None:
    """The half-signed-in user of this session, if the state is still fresh."""
    state = session.get(PENDING)
    if not isinstance(state, dict):
        return None
    if time.time() > state.get("until", 0):
        return None  # `_to_sign_in` ends it, saying so
    return accounts.user_for_session(state.get("token", ""))


def _finish(user: User) -> str:
    """Complete the sign-in of the half-signed-in user; where to go next."""
    next_url = (session.get(PENDING) or {}).get("next")
    start_session(user, verified=True)
    return next_url or url_for(home_endpoint(user))


def _to_sign_in() -> Response:
    """Back to the password step (half-signed-in too long, or never): a page redirect, or for
    htmx a 401 with `HX-Redirect`."""
    if session.pop(PENDING, None) is not None:
        flash("Your sign-in expired. Please sign in again.", "info")
    target = url_for("auth.login")
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


@bp.route("/login/code", methods=["GET", "POST"])
@limits.per_address
@limits.per_account_of(pending_user)
def mfa_code():
    """The second step: a code from the authenticator app, or a recovery code."""
    user = pending_user()
    if user is None or not mfa.has_mfa(user):
        return _to_sign_in()
    form = CodeForm()
    if form.validate_on_submit():
        result = mfa.check_sign_in_code(user, form.code.data)
        if result is mfa.CodeCheck.ACCEPTED:
            user_sessions.note_authenticated(user)  # the second factor is a check too
        db.session.commit()  # the code's use, the count of wrong ones and the audit rows
        if result is mfa.CodeCheck.ACCEPTED:
            return redirect(_finish(user))
        if result is mfa.CodeCheck.LOCKED:
            session.pop(PENDING, None)
            flash(
                "Too many wrong codes: the account is locked for 10 minutes. "
                "Sign in again after that.",
                "error",
            )
            return redirect(url_for("auth.login"))
        form.code.errors.append(
            "The code is not correct, or was already used. Enter the code your app shows now, "
            "or one of your recovery codes."
        )
    status = 422 if form.errors else 200
    return render(
        "auth/mfa_code.html", block="form" if is_htmx() else None, status=status, form=form
    )


def qr_svg(uri: str) -> str:
    """The otpauth address as an inline SVG QR code, drawn here (no external service) and with
    no style attribute or script, so the strict CSP holds."""
    return segno.make(uri, error="m").svg_inline(
        scale=5,
        title="QR code for your authenticator app",
        svgclass="portal-qr",
        lineclass=None,
        light="#fff",
    )


def _enrolling_user() -> User | None:
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return pending_user()


@bp.route("/mfa/setup", methods=["GET", "POST"])
def mfa_setup():
    """Set up an authenticator (required, right after the password; or by choice from the
    account menu), confirmed by a first code; the recovery codes are shown once.

    Until the first code confirms it, the new secret lives in this session only: reading the
    page stores nothing, and a set-up left half-way leaves nothing behind.
    """
    user = _enrolling_user()
    if user is None:
        return _to_sign_in()
    if mfa.has_mfa(user):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.mfa_code"))  # half signed in: the code comes first
        return render("auth/mfa_status.html", codes_left=mfa.recovery_codes_left(user))
    secret = session.get(ENROLMENT)
    if not isinstance(secret, str) or not secret:
        secret = session[ENROLMENT] = mfa.new_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(user, secret, form.code.data)
        except InvalidTransition:
            db.session.rollback()
            session.pop(ENROLMENT, None)
            return redirect(url_for("auth.mfa_setup"))
        if codes is not None:
            user_sessions.note_authenticated(user)
        db.session.commit()  # the authenticator and its codes, or the refused code's audit row
        if codes is not None:
            session.pop(ENROLMENT, None)
            if current_user.is_authenticated:
                session[VERIFIED] = True
                next_url = url_for(home_endpoint(user))
            else:
                next_url = _finish(user)
            return render("auth/mfa_recovery.html", codes=codes, next_url=next_url)
        form.code.errors.append("The code is not correct. Enter the code your app shows now.")
    uri = mfa.provisioning_uri(secret, user, current_app.config["PROGRAM_NAME"])
    # Safe (hence nosec B704): segno writes only numbers (the modules as path data) and our own
    # title; the otpauth address, with the user's e-mail, is drawn as modules, never as text.
    svg = qr_svg(uri)
    qr = Markup(svg)  # noqa: S704  # nosec B704
    return render(
        "auth/mfa_setup.html",
        status=422 if form.errors else 200,
        form=form,
        qr=qr,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


def require_mfa():
    """Before each request, when MFA is required: a session signed in without a second factor
    reaches only the set-up page (a user who has an authenticator signs in again with it)."""
    if (
        not current_app.config["MFA_REQUIRED"]
        or request.endpoint in WHILE_ENROLLING
        or not current_user.is_authenticated
        or session.get(VERIFIED)
    ):
        return None
    user = current_user._get_current_object()
    if mfa.has_mfa(user):
        logout_user()
        session.clear()
        return login_manager.unauthorized()
    target = url_for("auth.mfa_setup")
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


bp.before_app_request(require_mfa)
