"""Routes outside any role: the landing redirect and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_login import current_user

from portal.policy import home_endpoint
from portal.services.health import OK, check_database

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.get("/healthz")
def healthz():
    """For the proxy and monitoring: 200 when the database can be read and written, else 503
    saying which ("read-only" or "unavailable")."""
    state = check_database()
    if state != OK:
        current_app.logger.warning("Health check: the database is %s", state)
        return jsonify(status="error", database=state), 503
    return jsonify(status="ok", database=OK)
