"""Sign-in and sign-out."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import views  # noqa: E402,F401
from portal.auth.idle import enforce_idle_timeout  # noqa: E402

bp.before_app_request(enforce_idle_timeout)
