"""Changing one's own password (every role), and the rule that a password an administrator set
is changed before anything else.
"""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user, login_required, login_user

from portal.auth import bp
from portal.auth.password_forms import PasswordChangeForm
from portal.extensions import db
from portal.passwords import RULE_HINT
from portal.policy import home_endpoint
from portal.services.password_changes import (
    WRONG_CURRENT_PASSWORD,
    change_own_password,
    record_refused_password_change,
)
from portal.web.changes import run_change
from portal.web.htmx import is_htmx, render

# What a user who must change their password may still reach.
ALLOWED_BEFORE_CHANGE = frozenset({"static", "auth.change_password", "auth.logout", "auth.login"})


@bp.before_app_request
def require_password_change():
    """Before each request: a user signed in with a password an administrator set is sent to
    the change page (htmx requests are redirected whole)."""
    if request.endpoint in ALLOWED_BEFORE_CHANGE or not current_user.is_authenticated:
        return None
    if not current_user.must_change_password:
        return None
    target = url_for("auth.change_password")
    if request.headers.get("HX-Request") == "true":
        response = Response(status=403)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


def _page(form: PasswordChangeForm, status: int = 200, error: str | None = None):
    return render(
        "auth/password.html",
        block="form" if is_htmx() else None,
        status=status,
        form=form,
        error=error,
        rule_hint=RULE_HINT,
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The current password, then the new one twice; the user's other sessions end."""
    form = PasswordChangeForm()
    if request.method == "GET":
        return _page(form)
    user = current_user._get_current_object()

    def refused(status: int, error: str | None):
        if WRONG_CURRENT_PASSWORD in form.current_password.errors:
            record_refused_password_change(user)
            db.session.commit()
        return _page(form, status, error)

    def done(saved):
        # The session token changed (other sessions end): this one goes on with the new one.
        login_user(saved)
        flash("Your password was changed. Any other session of yours was signed out.", "success")
        return redirect(url_for(home_endpoint(saved)))

    return run_change(
        form,
        lambda: change_own_password(user, form.current_password.data, form.new_password.data),
        refused=refused,
        done=done,
    )
